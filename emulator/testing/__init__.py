"""Client-side helpers for tests: what a vendor's client sends, and a server to send it to."""

from emulator.testing.clients import (
    uneeq_request_jwt,
    unifize_assertion,
    unifize_demo_private_key,
)
from emulator.testing.server import EmulatorProcess, free_port

__all__ = [
    "EmulatorProcess",
    "free_port",
    "uneeq_request_jwt",
    "unifize_assertion",
    "unifize_demo_private_key",
]
