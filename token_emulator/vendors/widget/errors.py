"""Kataven widget's wire errors: plain strings, exactly as docs/vendors/widget.md lists them.

Where the page lists a status and message, that message is the whole body.
Refusals the page does not list (an agent whose auth_mode forbids the flow,
404/405 of the app, faults) get a short plain phrase of the same kind. The
precise reason always goes to the journal.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response

from token_emulator.core.errors import EmulatorError

MISSING_CLIENT_KEY = "Missing client_key"
ORIGIN_REFUSED = "Origin not in allowlist for this client_key"
CONFIG_ORIGIN_REFUSED = "Origin not in allowlist"
MISSING_USER = "Missing client_key or user_id"
BAD_API_KEY = "Missing or invalid API key"
BAD_TOKEN = "Missing or expired token"
BAD_REFRESH = "Missing or expired refresh_token"
# Not on the page: chosen, and listed in the README.
GUEST_DISABLED = "Guest access is disabled for this agent"
USER_DISABLED = "User access is disabled for this agent"
AGENT_REFUSED = "Agent not available for this client_key"
BAD_AGENT_ID = "Invalid agent_id"


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    # PlainTextResponse sends text/plain; charset=utf-8.
    return PlainTextResponse(message, status_code=status)


def refuse(status: int, message: str, reason: str) -> EmulatorError:
    return EmulatorError(reason, status=status, message=message)
