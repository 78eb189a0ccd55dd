"""Client-side helpers for tests: what a vendor's client sends, whole flows, a server to run."""

from emulator.testing.clients import (
    uneeq_request_jwt,
    unifize_assertion,
    unifize_demo_private_key,
)
from emulator.testing.credentials import MissingCredential
from emulator.testing.flows import (
    EmulatorAdminAuth,
    FlowError,
    eightbyeight_token,
    uneeq_token,
    unifize_access_token,
    web1on1_login,
    widget_session,
)
from emulator.testing.server import EmulatorProcess, free_port

__all__ = [
    "EmulatorAdminAuth",
    "EmulatorProcess",
    "FlowError",
    "MissingCredential",
    "eightbyeight_token",
    "free_port",
    "uneeq_request_jwt",
    "uneeq_token",
    "unifize_access_token",
    "unifize_assertion",
    "unifize_demo_private_key",
    "web1on1_login",
    "widget_session",
]
