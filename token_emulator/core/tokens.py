"""Every JWS/JWT operation, and the only module that imports joserfc.

Verification comes in two layers. The JWS layer (`verify_hmac_signature`,
`verify_rsa_signature`) checks the header rules every vendor shares, pins the
algorithm and verifies the signature with an explicit algorithm list; the JWT
layer (`verify_hmac`, `verify_rsa`) then reads the payload as a claim set,
and claims are checked against the emulator's clock. Header and payload are
read as strict UTF-8 JSON here, not by joserfc (whose `json.loads` of bytes
also takes UTF-16 and UTF-32). Every joserfc error is turned into a
`TokenProblem` whose `kind` tells the vendor which of its own errors to raise.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    SecurityWarning,
)
from joserfc.jwk import OctKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry
from joserfc.util import urlsafe_b64decode

from token_emulator.core.bodies import BodyProblem, ensure_storable
from token_emulator.core.instants import described, isoformat
from token_emulator.core.randomness import random_token

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
    return random_token(nbytes)


@functools.lru_cache(maxsize=256)
def _hmac_key(secret: str | bytes) -> OctKey:
    # Imported once per secret: a vendor verifies many tokens with one secret.
    # Vendors' shared secrets may be short; joserfc warns, the vendor accepts.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


@dataclass(frozen=True)
class SignedPayload:
    """A JWS whose signature verified: its header, and its payload bytes as signed."""

    header: dict[str, Any]
    payload: bytes


def _strict_json(data: bytes, what: str) -> Any:
    """JSON text as RFC 7515 and 7519 write it: UTF-8, without a byte order mark."""
    why = "a byte order mark" if data.startswith(b"\xef\xbb\xbf") else None
    if why is None:
        try:
            return json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            why = "not UTF-8"
        except (ValueError, RecursionError) as error:
            why = _describe(error)
    raise TokenProblem("malformed", f"{what} is not a JSON object ({why})")


@functools.lru_cache(maxsize=64)
def _extract(compact: str) -> Any:
    """joserfc's parse of a compact JWS, with the header rules every vendor shares.

    Remembered for a few tokens: a vendor reads the header before it looks up
    the key, then verifies the same string (refusals raise and are not kept)."""
    try:
        extracted = jws.extract_compact(compact.encode("utf-8"))
        header_bytes = urlsafe_b64decode(extracted.segments["header"])
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise TokenProblem("malformed", f"not a compact JWS ({_describe(error)})") from None
    # joserfc reads the header with json.loads(bytes), which also takes UTF-16
    # and UTF-32: read it again as UTF-8, so that no two readers disagree.
    header = _strict_json(header_bytes, "JWS header")
    if not isinstance(header, dict):
        raise TokenProblem("malformed", "JWS header is not a JSON object")
    if header != extracted.protected:
        raise TokenProblem("malformed", "JWS header reads differently as UTF-8")
    # No vendor defines a JWS extension: a critical one, or an unencoded
    # payload (RFC 7797, which a JWT must not use), cannot be honoured.
    for name in ("crit", "b64"):
        if name in header:
            raise TokenProblem("malformed", f"JWS header {name!r} is not supported")
    return extracted


def read_header(compact: str) -> dict[str, Any]:
    """The protected header of a compact JWS, without verifying anything."""
    header: dict[str, Any] = dict(_extract(compact).protected)  # a copy: _extract remembers
    return header


def _pinned(compact: str, algorithm: str) -> Any:
    """The parsed JWS, if it names the verifier's algorithm.

    The verifier's algorithm, never the token's: `none`, another HMAC, or an
    asymmetric algorithm named by an attacker is refused before any key is used."""
    extracted = _extract(compact)
    alg = extracted.protected.get("alg")
    if alg != algorithm:
        raise TokenProblem("algorithm", f"alg {alg!r} refused: only {algorithm} is accepted")
    return extracted


def _deserialize(extracted: Any, key: OctKey | RSAKey, algorithm: str) -> SignedPayload:
    """BadSignatureError when the signature does not verify; TokenProblem otherwise."""
    try:
        # No warnings to silence here: joserfc warns of the algorithm "none" only,
        # which _pinned refused, and of short keys at import (_hmac_key).
        verified = jws.validate_compact(extracted, key, algorithms=[algorithm])
    except BadSignatureError:
        raise
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise TokenProblem("malformed", f"JWS unreadable ({_describe(error)})") from None
    if not verified:
        raise BadSignatureError()
    return SignedPayload(header=dict(extracted.protected), payload=extracted.payload or b"")


def verify_hmac_signature(
    compact: str, secret: str | bytes, algorithm: str = "HS256"
) -> SignedPayload:
    """The JWS layer: header rules, the pinned algorithm and the signature."""
    extracted = _pinned(compact, algorithm)
    try:
        return _deserialize(extracted, _hmac_key(secret), algorithm)
    except BadSignatureError:
        raise TokenProblem("signature", "signature does not verify") from None


def verify_hmac(compact: str, secret: str | bytes, algorithm: str = "HS256") -> Verified:
    """Check structure, algorithm and signature; claims are the caller's to check."""
    signed = verify_hmac_signature(compact, secret, algorithm)
    return _verified(signed.header, signed.payload)


def _claims(payload: bytes) -> Any:
    return _strict_json(payload, "JWT payload")


def _verified(header: Mapping[str, Any], payload: bytes) -> Verified:
    claims = _claims(payload)
    if not isinstance(claims, dict):
        raise TokenProblem("malformed", "JWT payload is not a JSON object")
    try:
        # Claims end up in the store and in JSON answers: refuse what cannot.
        ensure_storable(claims, "JWT payload", payload)
    except BodyProblem as problem:
        raise TokenProblem("malformed", str(problem)) from None
    return Verified(header=dict(header), claims=dict(claims))


def read_unverified(compact: str) -> Verified:
    """Header and claims of a JWS before verification, to learn which key should verify it.

    Nothing read here is trusted: the caller verifies the signature next.
    """
    extracted = _extract(compact)
    return _verified(extracted.protected, extracted.payload or b"")


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


def verify_rsa_signature(
    compact: str, public_pems: Sequence[str], algorithm: str = "RS256"
) -> SignedPayload:
    """The JWS layer with the first of `public_pems` that verifies the signature."""
    extracted = _pinned(compact, algorithm)
    for pem in public_pems:
        try:
            return _deserialize(extracted, _rsa_public_key(pem), algorithm)
        except BadSignatureError:
            continue
    raise TokenProblem("signature", "signature does not verify")


def verify_rsa(compact: str, public_pems: Sequence[str], algorithm: str = "RS256") -> Verified:
    """Verify with the first of `public_pems` that matches; claims are the caller's to check."""
    signed = verify_rsa_signature(compact, public_pems, algorithm)
    return _verified(signed.header, signed.payload)


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
    # Nothing to silence: joserfc warns of a short key at import (_hmac_key, once per
    # secret) and of the algorithm "none", which is never ours to sign with.
    return jwt.encode(full_header, dict(claims), _hmac_key(secret), algorithms=[algorithm])


def check_times(
    claims: Mapping[str, Any],
    now: float,
    *,
    leeway: int = CLOCK_LEEWAY_SECONDS,
) -> None:
    """Check whichever of `exp`, `iat`, `nbf` are present, at `now`."""
    # exp strictly, iat/nbf with leeway: joserfc's registry applies one leeway
    # to all three, so the two groups are validated separately. `now` keeps its
    # fraction: a NumericDate may have one, and exp 1000.5 has passed at 1000.7.
    shown = isoformat(now)
    groups = (
        (JWTClaimsRegistry(now=now, leeway=0), ("exp",)),
        (JWTClaimsRegistry(now=now, leeway=leeway), ("iat", "nbf")),
    )
    for registry, names in groups:
        subset = {name: claims[name] for name in names if name in claims}
        try:
            registry.validate(subset)
        except ExpiredTokenError:
            expired = described(claims["exp"])
            raise TokenProblem("expired", f"expired at {expired} (now {shown})") from None
        except InvalidClaimError as error:
            name = error.claim
            value = subset.get(name)
            if name in ("iat", "nbf") and value is not None and _is_finite_number(value):
                raise TokenProblem(
                    "not_yet_valid",
                    f"claim {name} {described(value)} is in the future "
                    f"(now {shown}, leeway {leeway} s)",
                ) from None
            raise TokenProblem("claims", f"claim {name} is not a NumericDate") from None


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _describe(error: Exception) -> str:
    text = getattr(error, "description", None) or str(error) or type(error).__name__
    return text.strip()
