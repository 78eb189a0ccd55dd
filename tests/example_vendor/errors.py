"""The example vendor's wire errors: RFC 6749's `{"error", "error_description"}`."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import refusal

CODES = {
    400: "invalid_request",
    401: "invalid_client",
    404: "not_found",
    405: "method_not_allowed",
}


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    error = CODES.get(status, f"http_{status}")
    return JSONResponse({"error": error, "error_description": message}, status_code=status)


bad_request = refusal(400, "The request is malformed")
# Unknown client, wrong secret, or a token that is not (or no longer) valid.
invalid_client = refusal(401, "Client authentication failed")
