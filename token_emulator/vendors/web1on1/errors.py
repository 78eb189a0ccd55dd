"""web1on1's wire errors: `{"error": {"message": "..."}}` (docs/vendors/web1on1.md).

The token messages are those of the `jsonwebtoken` library ("jwt expired",
"invalid signature", "invalid token"): the official SDK refreshes its token
on exactly these.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import EmulatorError

EXPIRED = "jwt expired"
INVALID_SIGNATURE = "invalid signature"
INVALID_TOKEN = "invalid token"
NO_TOKEN = "No authorization token was found"  # express-jwt's words for a missing header

_PHRASES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    429: "Too many requests",
    500: "Internal server error",
}


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    return JSONResponse({"error": {"message": message}}, status_code=status)


def refusal(
    reason: str,
    *,
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmulatorError:
    """A refusal whose wire message is `message`, else the status's phrase."""
    shown = message or _PHRASES.get(status, reason)
    return EmulatorError(reason, status=status, message=shown, headers=headers)


def bad_request(reason: str) -> EmulatorError:
    """The wire message is the reason itself: it names the field a client got wrong."""
    return refusal(reason, status=400, message=reason)


def unauthorized(reason: str, message: str = INVALID_TOKEN) -> EmulatorError:
    return refusal(reason, status=401, message=message)


def forbidden(reason: str) -> EmulatorError:
    return refusal(reason, status=403)


def not_found(reason: str) -> EmulatorError:
    return refusal(reason, status=404)


def conflict(reason: str) -> EmulatorError:
    return refusal(reason, status=409, message=reason)


def too_many_requests(reason: str, retry_after: float) -> EmulatorError:
    seconds = max(1, int(-(-retry_after // 1)))  # whole seconds, rounded up
    return refusal(reason, status=429, headers={"Retry-After": str(seconds)})
