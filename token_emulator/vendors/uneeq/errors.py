"""UneeQ's wire errors: short plain-text bodies (FINDINGS.md); the reason goes to the journal."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import PlainTextResponse, Response

from token_emulator.core.errors import EmulatorError


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    """Every refusal of UneeQ's: the status phrase as plain text."""
    return PlainTextResponse(message, status_code=status)


def _refusal(reason: str, status: int) -> EmulatorError:
    return EmulatorError(reason, status=status, message=HTTPStatus(status).phrase)


def bad_request(reason: str) -> EmulatorError:
    """Malformed request: header, content type, body, claim types."""
    return _refusal(reason, 400)


def unauthorized(reason: str) -> EmulatorError:
    """Signature, algorithm, or a token that cannot be redeemed."""
    return _refusal(reason, 401)


def forbidden(reason: str) -> EmulatorError:
    """Unknown workspace, or one the request may not use."""
    return _refusal(reason, 403)
