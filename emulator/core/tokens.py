"""Every JWS/JWT operation, and the only module that imports joserfc.

Verification is split as joserfc intends: `jwt.decode` checks the signature
with an explicit algorithm list, then claims are checked against the
emulator's clock. Every joserfc error is turned into a `TokenProblem` whose
`kind` tells the vendor which of its own errors to raise.
"""

from __future__ import annotations

import functools
import json
import math
import secrets
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidPayloadError,
    JoseError,
    SecurityWarning,
)
from joserfc.jwk import OctKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from emulator.core.bodies import BodyProblem, ensure_storable

# How far in the future `iat` and `nbf` may be before a token is refused:
# room for a client clock running a little fast. `exp` gets no leeway.
CLOCK_LEEWAY_SECONDS = 30

ProblemKind = Literal["malformed", "algorithm", "signature", "expired", "not_yet_valid", "claims"]


class TokenProblem(Exception):
    def __init__(self, kind: ProblemKind, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class Verified:
    header: dict[str, Any]
    claims: dict[str, Any]


def opaque_token(nbytes: int = 32) -> str:
    """A random URL-safe token for single-use and refresh tokens."""
    return secrets.token_urlsafe(nbytes)


@functools.lru_cache(maxsize=256)
def _hmac_key(secret: str | bytes) -> OctKey:
    # Imported once per secret: a vendor verifies many tokens with one secret.
    # Vendors' shared secrets may be short; joserfc warns, the vendor accepts.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


def _extract(compact: str) -> Any:
    """joserfc's parse of a compact JWS, with the header rules every vendor shares."""
    try:
        extracted = jws.extract_compact(compact.encode("utf-8"))
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise TokenProblem("malformed", f"not a compact JWS ({_describe(error)})") from None
    header = extracted.protected
    if not isinstance(header, dict):
        raise TokenProblem("malformed", "JWS header is not a JSON object")
    # No vendor defines a JWS extension: a critical one, or an unencoded
    # payload (RFC 7797, which a JWT must not use), cannot be honoured.
    for name in ("crit", "b64"):
        if name in header:
            raise TokenProblem("malformed", f"JWS header {name!r} is not supported")
    return extracted


def read_header(compact: str) -> dict[str, Any]:
    """The protected header of a compact JWS, without verifying anything."""
    header: dict[str, Any] = _extract(compact).protected
    return header


def verify_hmac(compact: str, secret: str | bytes, algorithm: str = "HS256") -> Verified:
    """Check structure, algorithm and signature; claims are the caller's to check."""
    header = read_header(compact)
    alg = header.get("alg")
    if alg != algorithm:
        raise TokenProblem("algorithm", f"alg {alg!r} refused: only {algorithm} is accepted")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            token = jwt.decode(compact, _hmac_key(secret), algorithms=[algorithm])
    except BadSignatureError:
        raise TokenProblem("signature", "signature does not verify") from None
    except InvalidPayloadError:
        raise TokenProblem("malformed", "JWT payload is not a JSON object") from None
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise TokenProblem("malformed", f"JWS payload unreadable ({_describe(error)})") from None
    return _verified(token.header, token.claims)


def _verified(header: Mapping[str, Any], claims: Any) -> Verified:
    if not isinstance(claims, dict):
        raise TokenProblem("malformed", "JWT payload is not a JSON object")
    try:
        # Claims end up in the store and in JSON answers: refuse what cannot.
        ensure_storable(claims, "JWT payload")
    except BodyProblem as problem:
        raise TokenProblem("malformed", str(problem)) from None
    return Verified(header=dict(header), claims=dict(claims))


def read_unverified(compact: str) -> Verified:
    """Header and claims of a JWS before verification, to learn which key should verify it.

    Nothing read here is trusted: the caller verifies the signature next.
    """
    extracted = _extract(compact)
    try:
        claims = json.loads(extracted.payload)
    except (ValueError, RecursionError) as error:
        raise TokenProblem("malformed", f"JWS payload unreadable ({_describe(error)})") from None
    return _verified(extracted.protected, claims)


@functools.lru_cache(maxsize=256)
def _rsa_public_key(pem: str) -> RSAKey:
    # Parsing a PEM costs more than verifying with it; registered keys repeat.
    key = RSAKey.import_key(pem)
    if key.is_private:
        raise ValueError("a private key was given where a public key belongs")
    return key


def check_rsa_public_key(pem: str) -> None:
    """Raise ValueError unless `pem` is an RSA public key in PEM form."""
    try:
        _rsa_public_key(pem)
    except (JoseError, ValueError, TypeError) as error:
        raise ValueError(f"not an RSA public key in PEM form ({_describe(error)})") from None


def verify_rsa(compact: str, public_pems: Sequence[str], algorithm: str = "RS256") -> Verified:
    """Verify with the first of `public_pems` that matches; claims are the caller's to check."""
    header = read_header(compact)
    alg = header.get("alg")
    if alg != algorithm:
        raise TokenProblem("algorithm", f"alg {alg!r} refused: only {algorithm} is accepted")
    for pem in public_pems:
        try:
            token = jwt.decode(compact, _rsa_public_key(pem), algorithms=[algorithm])
        except BadSignatureError:
            continue
        except InvalidPayloadError:
            raise TokenProblem("malformed", "JWT payload is not a JSON object") from None
        except (JoseError, ValueError, TypeError, RecursionError) as error:
            raise TokenProblem("malformed", f"JWS unreadable ({_describe(error)})") from None
        return _verified(token.header, token.claims)
    raise TokenProblem("signature", "signature does not verify")


def sign_rsa(
    claims: Mapping[str, Any], private_pem: str, header: Mapping[str, Any] | None = None
) -> str:
    full_header = {"typ": "JWT", **(header or {}), "alg": "RS256"}
    key = RSAKey.import_key(private_pem)
    return jwt.encode(full_header, dict(claims), key, algorithms=["RS256"])


def sign_hmac(
    claims: Mapping[str, Any],
    secret: str | bytes,
    algorithm: str = "HS256",
    header: Mapping[str, Any] | None = None,
) -> str:
    full_header = {"typ": "JWT", **(header or {}), "alg": algorithm}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode(full_header, dict(claims), _hmac_key(secret), algorithms=[algorithm])


def check_times(
    claims: Mapping[str, Any],
    now: float,
    *,
    leeway: int = CLOCK_LEEWAY_SECONDS,
) -> None:
    """Check whichever of `exp`, `iat`, `nbf` are present, at `now`."""
    instant = int(now)
    # exp strictly, iat/nbf with leeway: joserfc's registry applies one leeway
    # to all three, so the two groups are validated separately.
    groups = (
        (JWTClaimsRegistry(now=instant, leeway=0), ("exp",)),
        (JWTClaimsRegistry(now=instant, leeway=leeway), ("iat", "nbf")),
    )
    for registry, names in groups:
        subset = {name: claims[name] for name in names if name in claims}
        try:
            registry.validate(subset)
        except ExpiredTokenError:
            raise TokenProblem("expired", f"expired at {claims['exp']} (now {instant})") from None
        except InvalidClaimError as error:
            name = error.claim
            value = subset.get(name)
            if name in ("iat", "nbf") and _is_finite_number(value):
                raise TokenProblem(
                    "not_yet_valid",
                    f"claim {name} {value} is in the future (now {instant}, leeway {leeway}s)",
                ) from None
            raise TokenProblem("claims", f"claim {name} is not a NumericDate") from None


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _describe(error: Exception) -> str:
    text = getattr(error, "description", None) or str(error) or type(error).__name__
    return text.strip()
