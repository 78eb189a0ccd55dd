"""8x8's wire errors.

The API routes answer 8x8's platform-wide JSON shape (docs/vendors/eightbyeight.md):
`{"code": <int>, "message": "...", "errorId": "<uuid4>", "timestamp":
"yyyy-MM-ddTHH:mm:ss.ffZ"}`, the timestamp from the emulator clock at the
request. 8x8 publishes codes only for 401 (1200) and 403 (1201); the others
are the emulator's, one per status, listed in the README. The browser routes
(agent login, guest link) answer the same refusals as an HTML page
(`render_page`, which routes.py gives those endpoints).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import EmulatorError
from token_emulator.core.randomness import random_uuid
from token_emulator.vendors.eightbyeight.pages import refusal_page

CODES = {
    400: 1000,  # the request is malformed; the message says what is wrong
    401: 1200,  # 8x8's "Unauthorized Access"
    403: 1201,  # 8x8's "Access forbidden"
    404: 1001,
    405: 1002,
    410: 1003,
    429: 1300,
}
OTHER_CLIENT_ERROR = 1099  # any other 4xx
SERVER_ERROR = 1500  # any 5xx (only injected faults produce one)

UNAUTHORIZED = "Unauthorized Access"
FORBIDDEN = "Access forbidden"

# What a browser page says for each refusal; the journal has the precise reason.
PAGE_MESSAGES = {
    401: "This login link is not valid: its token is unknown, expired or not from this server.",
    403: "This agent may not log in to 8x8 Video Interaction here.",
    404: "There is no such video room.",
    410: "This video room has expired.",
}


def code_for(status: int) -> int:
    if status in CODES:
        return CODES[status]
    return SERVER_ERROR if status >= 500 else OTHER_CLIENT_ERROR


def timestamp(now: float) -> str:
    """`yyyy-MM-ddTHH:mm:ss.ffZ`: UTC, hundredths of a second, truncated."""
    moment = datetime.fromtimestamp(now, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 10_000:02d}Z"


def render_error(status: int, message: str, now: float) -> Response:
    body = {
        "code": code_for(status),
        "message": message,
        "errorId": random_uuid(),
        "timestamp": timestamp(now),
    }
    return JSONResponse(body, status_code=status)


def render_page(status: int, message: str, _now: float = 0.0) -> Response:
    """A browser route's refusal (agent login, guest link): an HTML page saying what went
    wrong in a browser's words; the journal has the precise reason."""
    return refusal_page(status, PAGE_MESSAGES.get(status, message))


def bad_request(message: str, reason: str | None = None) -> EmulatorError:
    """The message is on the wire, so it says what is wrong; `reason` may add detail."""
    return EmulatorError(reason or message, status=400, message=message)


def unauthorized(reason: str) -> EmulatorError:
    """API key or auth token missing, unknown, forged or expired."""
    return EmulatorError(reason, status=401, message=UNAUTHORIZED)


def forbidden(reason: str) -> EmulatorError:
    return EmulatorError(reason, status=403, message=FORBIDDEN)


def not_found(reason: str, message: str = "Not Found") -> EmulatorError:
    return EmulatorError(reason, status=404, message=message)


def gone(reason: str, message: str = "Gone") -> EmulatorError:
    return EmulatorError(reason, status=410, message=message)


def method_not_allowed(reason: str) -> EmulatorError:
    return EmulatorError(reason, status=405, message="Method Not Allowed")
