"""Unifize's wire errors.

Unifize publishes no error body (FINDINGS.md), so the emulator uses one JSON
shape for all: `{"status": 401, "error": "unauthorized", "message": "..."}`.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import EmulatorError

CODES = {
    400: ("bad_request", "The request is malformed"),
    401: ("unauthorized", "Authentication failed"),
    403: ("forbidden", "This app may not do this"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    500: ("internal_error", "Internal server error"),
}


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    code = CODES.get(status, (f"http_{status}", message))[0]
    return JSONResponse({"status": status, "error": code, "message": message}, status_code=status)


class UnifizeError(EmulatorError):
    def __init__(self, reason: str, *, status: int) -> None:
        message = CODES.get(status, ("", reason))[1]
        super().__init__(reason, status=status, message=message)

    def render(self, now: float) -> Response:
        return render_error(self.status, self.message, now)


def bad_request(reason: str) -> UnifizeError:
    return UnifizeError(reason, status=400)


def unauthorized(reason: str) -> UnifizeError:
    """Assertion or access token missing, malformed, expired, forged or foreign."""
    return UnifizeError(reason, status=401)


def forbidden(reason: str) -> UnifizeError:
    """A valid token whose app may not do this."""
    return UnifizeError(reason, status=403)


def not_found(reason: str) -> UnifizeError:
    return UnifizeError(reason, status=404)
