"""Headers every vendor shares the form of: the Bearer token read, the reason written."""

from __future__ import annotations

# Every refusal of the emulator's names its reason in this response header.
REASON_HEADER = "x-emulator-reason"


class HeaderProblem(ValueError):
    """Why a header is refused; the message is the journal's reason."""


def bearer_token(authorization: str | None, what: str = "token") -> str:
    """The token of `Authorization: Bearer <token>` (scheme in any case); HeaderProblem if not."""
    if authorization is None:
        raise HeaderProblem(f"missing Authorization header (Authorization: Bearer <{what}>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise HeaderProblem(f"Authorization is not a Bearer {what}")
    token = token.strip()
    if not token:
        raise HeaderProblem(f"Authorization: Bearer carries no {what}")
    return token
