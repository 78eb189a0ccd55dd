"""Client-side helpers for tests: the control-plane client, any vendor's whole flow, a
server to run.

The vendors' own helpers (`uneeq_token`, `unifize_assertion`, `web1on1_login`...)
are importable from here too: each vendor's client.py names them, and they are
looked up in the registry on first use. Names are imported on first use: the
pytest plugin (a submodule) is loaded into every pytest run of a project that
installs this package, and should not make each of them import joserfc before a
test asks for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from token_emulator.client import (
        AsyncTokenEmulator,
        EmulatorAdminAuth,
        EmulatorRefused,
        TokenEmulator,
    )
    from token_emulator.core.calls import FlowError
    from token_emulator.core.vendor_client import MissingCredential
    from token_emulator.testing.flows import vendor_answer, vendor_token
    from token_emulator.testing.server import (
        EmulatorProcess,
        ServerFailed,
        ServerProcess,
        free_port,
        wait_for_health,
    )

_HOMES = {
    "AsyncTokenEmulator": "token_emulator.client",
    "EmulatorAdminAuth": "token_emulator.client",
    "EmulatorRefused": "token_emulator.client",
    "TokenEmulator": "token_emulator.client",
    "FlowError": "token_emulator.core.calls",
    "MissingCredential": "token_emulator.core.vendor_client",
    "vendor_answer": "token_emulator.testing.flows",
    "vendor_token": "token_emulator.testing.flows",
    "EmulatorProcess": "token_emulator.testing.server",
    "ServerFailed": "token_emulator.testing.server",
    "ServerProcess": "token_emulator.testing.server",
    "free_port": "token_emulator.testing.server",
    "wait_for_health": "token_emulator.testing.server",
}
__all__ = [
    "AsyncTokenEmulator",
    "EmulatorAdminAuth",
    "EmulatorProcess",
    "EmulatorRefused",
    "FlowError",
    "MissingCredential",
    "ServerFailed",
    "ServerProcess",
    "TokenEmulator",
    "free_port",
    "vendor_answer",
    "vendor_token",
    "wait_for_health",
]


def _vendor_helper(name: str) -> Any:
    from token_emulator.vendors import all_clients

    for client in all_clients():
        if name in client.helpers:
            return client.helpers[name]
    return None


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    value = getattr(importlib.import_module(home), name) if home else _vendor_helper(name)
    if value is None:
        raise AttributeError(f"module 'token_emulator.testing' has no attribute {name!r}")
    globals()[name] = value
    return value
