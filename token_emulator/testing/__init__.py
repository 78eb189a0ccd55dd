"""Client-side helpers for tests: what a vendor's client sends, whole flows, a server to run.

Names are imported on first use: the pytest plugin (a submodule) is loaded
into every pytest run of a project that installs this package, and should not
make each of them import SQLAlchemy and joserfc before a test asks for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from token_emulator.testing.clients import (
        uneeq_request_jwt,
        unifize_assertion,
        unifize_demo_private_key,
    )
    from token_emulator.testing.credentials import MissingCredential
    from token_emulator.testing.flows import (
        EmulatorAdminAuth,
        FlowError,
        eightbyeight_token,
        uneeq_token,
        unifize_access_token,
        web1on1_login,
        widget_session,
    )
    from token_emulator.testing.server import EmulatorProcess, free_port

_HOMES = {
    "uneeq_request_jwt": "clients",
    "unifize_assertion": "clients",
    "unifize_demo_private_key": "clients",
    "MissingCredential": "credentials",
    "EmulatorAdminAuth": "flows",
    "FlowError": "flows",
    "eightbyeight_token": "flows",
    "uneeq_token": "flows",
    "unifize_access_token": "flows",
    "web1on1_login": "flows",
    "widget_session": "flows",
    "EmulatorProcess": "server",
    "free_port": "server",
}
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'token_emulator.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"token_emulator.testing.{home}"), name)
    globals()[name] = value
    return value
