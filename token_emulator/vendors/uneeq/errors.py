"""UneeQ's wire errors: short plain-text bodies (docs/vendors/uneeq.md); the reason goes
to the journal."""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response

from token_emulator.core.errors import refusal


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    """Every refusal of UneeQ's: the status phrase as plain text."""
    return PlainTextResponse(message, status_code=status)


# Malformed request: header, content type, body, claim types.
bad_request = refusal(400, "Bad Request")
# Signature, algorithm, or a token that cannot be redeemed.
unauthorized = refusal(401, "Unauthorized")
# Unknown workspace, or one the request may not use.
forbidden = refusal(403, "Forbidden")
