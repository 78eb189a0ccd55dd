"""Secrets the emulator signs its own tokens with, kept in the store, and the check that
a bearer token is one it issued.

In the store, not in memory, so that a second process on the same database
and a restarted one verify the tokens the first one minted. A reset keeps
them: they are the emulator's, not the fixtures'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, String, Table, select

from token_emulator.core.storage import Store, metadata
from token_emulator.core.tokens import TokenProblem, opaque_token, verify_hmac

# A bearer token longer than this is refused before any parsing.
MAX_TOKEN_BYTES = 8 * 1024

signing_secrets = Table(
    "emulator_signing_secrets",
    metadata,
    Column("name", String, primary_key=True),
    Column("secret", String, nullable=False),
)


class SigningSecrets:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}

    async def get(self, name: str) -> str:
        """The secret called `name`, made on first use; the first process to make it wins."""
        if name not in self._cache:
            async with self._store.write() as conn:
                row = {"name": name, "secret": opaque_token(48)}
                await self._store.insert_missing(conn, signing_secrets, [row])
            async with self._store.read() as conn:
                query = select(signing_secrets.c.secret).where(signing_secrets.c.name == name)
                self._cache[name] = (await conn.execute(query)).scalar_one()
        return self._cache[name]


def too_long(token: str) -> str | None:
    """Why a bearer token is refused unread ("9000 bytes, over the 8 KiB limit"); None
    when it fits."""
    size = len(token.encode("utf-8", "surrogatepass"))
    if size <= MAX_TOKEN_BYTES:
        return None
    return f"{size} bytes, over the {MAX_TOKEN_BYTES // 1024} KiB limit"


@dataclass(frozen=True)
class NotIssuedWords:
    """How a vendor words the refusal of a bearer token this emulator did not issue (its
    journal reasons): `{token}` is what the vendor calls it, `{detail}` the problem."""

    token: str  # "auth token"
    signature: str = "{token} signature does not verify: not issued here"
    problem: str = "{token} is {detail}"  # not a JWS, another algorithm
    missing_claim: str = "{token} has no {claim}"


class NotIssued(Exception):
    """A bearer token that is not one of ours; `reason` in the vendor's words, `kind`
    too_long, claims, or TokenProblem's kind (a forged one's is `signature`)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


async def issued_claims(
    signing: SigningSecrets,
    secret_name: str,
    token: str,
    words: NotIssuedWords,
    required: Sequence[str] = ("jti",),
) -> dict[str, Any]:
    """The claims of an HS256 token this emulator signed with its secret `secret_name`,
    holding a string at each of `required`; NotIssued otherwise. Times are the caller's
    to check: what an expired token means is the vendor's."""
    if (why := too_long(token)) is not None:
        raise NotIssued("too_long", f"{words.token} is {why}")
    try:
        claims = verify_hmac(token, await signing.get(secret_name)).claims
    except TokenProblem as problem:
        form = words.signature if problem.kind == "signature" else words.problem
        raise NotIssued(
            problem.kind, form.format(token=words.token, detail=problem.detail)
        ) from None
    for claim in required:
        if not isinstance(claims.get(claim), str):
            raise NotIssued("claims", words.missing_claim.format(token=words.token, claim=claim))
    return claims
