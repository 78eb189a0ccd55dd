"""UneeQ's wire errors: short plain-text bodies (FINDINGS.md); the reason goes to the journal."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import PlainTextResponse, Response

from token_emulator.core.errors import EmulatorError


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    return PlainTextResponse(message, status_code=status)


class UneeqError(EmulatorError):
    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason, status=status, message=HTTPStatus(status).phrase)

    def render(self, now: float) -> Response:
        return render_error(self.status, self.message, now)


def bad_request(reason: str) -> UneeqError:
    """Malformed request: header, content type, body, claim types."""
    return UneeqError(reason, status=400)


def unauthorized(reason: str) -> UneeqError:
    """Signature, algorithm, or a token that cannot be redeemed."""
    return UneeqError(reason, status=401)


def forbidden(reason: str) -> UneeqError:
    """Unknown workspace, or one the request may not use."""
    return UneeqError(reason, status=403)
