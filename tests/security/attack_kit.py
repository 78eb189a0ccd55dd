"""What the attack corpus builds tokens with: signers over raw segments, attacker keys,
the encodings of an RSA public key, a canary for fetched URLs, and the store's dump.

Well-formed tokens are signed with joserfc; what joserfc rightly refuses to make
(`None` as alg, HS256 keyed with a public key, crit it does not know, a kid that is
not a string, a non-object or non-UTF-8 segment) is assembled by hand here, and
signed over the segments exactly as they are sent.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import json
import socket
import sqlite3
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.jws_parts import b64

Signer = Callable[[bytes], bytes]
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def segment(value: Any) -> str:
    """A JWS segment: bytes as they are, anything else as its JSON text in UTF-8."""
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    return b64(data)


def hand_token(header: Any, payload: Any, signer: Signer | bytes | str | None) -> str:
    """header.payload.signature, the signature computed over the segments as sent."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    if signer is None:
        signature = ""
    elif isinstance(signer, str):
        signature = signer
    elif isinstance(signer, bytes):
        signature = b64(signer)
    else:
        signature = b64(signer(signing_input.encode()))
    return f"{signing_input}.{signature}"


def hmac_signer(key: bytes | str, algorithm: str = "HS256") -> Signer:
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    material = key.encode() if isinstance(key, str) else key
    return lambda data: hmac.new(material, data, digest[algorithm]).digest()


@functools.cache
def _rsa_private_key(private_pem: str | bytes) -> rsa.RSAPrivateKey:
    # Loading a PEM costs more than signing with it; the corpus signs hundreds of times.
    key = serialization.load_pem_private_key(
        private_pem.encode() if isinstance(private_pem, str) else private_pem, password=None
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def rsa_signer(private_pem: str | bytes, algorithm: str = "RS256") -> Signer:
    key = _rsa_private_key(private_pem)
    digest = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}[algorithm[2:]]
    if algorithm.startswith("PS"):
        pss = padding.PSS(mgf=padding.MGF1(digest()), salt_length=digest.digest_size)
        return lambda data: key.sign(data, pss, digest())
    return lambda data: key.sign(data, padding.PKCS1v15(), digest())


def joserfc_token(header: dict[str, Any], payload: Any, key: Any, algorithm: str) -> str:
    """A well-formed compact JWS from joserfc, for what it agrees to sign."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # short test secrets
        return jws.serialize_compact({**header, "alg": algorithm}, data, key, [algorithm])


def oct_key(secret: bytes | str) -> OctKey:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


# --- the attacker's own keys -------------------------------------------------------------


@functools.cache
def attacker_rsa() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


@functools.cache
def attacker_rsa_1024() -> RSAKey:
    """Small enough for its JWK to fit joserfc's 512-byte header limit, so an embedded-key
    attack reaches the algorithm and signature checks instead of the size check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # small on purpose
        return RSAKey.generate_key(1024, private=True)


@functools.cache
def attacker_ec() -> ECKey:
    return ECKey.generate_key("P-256", private=True)


ATTACKER_SECRET = b"attacker-chosen-secret-0123456789"


@functools.cache
def attacker_certificate_b64() -> str:
    """A self-signed certificate for the attacker's RSA key, as x5c carries it (base64 DER)."""
    private = serialization.load_pem_private_key(attacker_rsa().as_pem(private=True), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=36500))
        .sign(private, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def attacker_rsa_signer(algorithm: str = "RS256") -> Signer:
    return rsa_signer(attacker_rsa().as_pem(private=True), algorithm)


# --- an RSA public key in every encoding an HMAC key could be made from -------------------


KEY_ENCODINGS = (
    "spki-pem-as-registered",
    "spki-pem-no-final-newline",
    "spki-pem-crlf",
    "pkcs1-pem",
    "spki-der",
    "pkcs1-der",
    "jwk-json",
    "openssh",
    "modulus-bytes",
)


def public_key_encodings(pem: str) -> dict[str, bytes]:
    """The key-confusion secrets: every form of the verifier's public key an attacker reads."""
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pkcs1 = serialization.PublicFormat.PKCS1
    pem_encoding, der = serialization.Encoding.PEM, serialization.Encoding.DER
    numbers = key.public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64(numbers.e.to_bytes(3, "big")),
    }
    encodings = {
        "spki-pem-as-registered": pem.encode(),
        "spki-pem-no-final-newline": pem.rstrip("\n").encode(),
        "spki-pem-crlf": pem.replace("\n", "\r\n").encode(),
        "pkcs1-pem": key.public_bytes(pem_encoding, pkcs1),
        "spki-der": key.public_bytes(der, spki),
        "pkcs1-der": key.public_bytes(der, pkcs1),
        "jwk-json": json.dumps(jwk).encode(),
        "openssh": key.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ),
        "modulus-bytes": numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"),
    }
    assert tuple(encodings) == KEY_ENCODINGS
    return encodings


# --- non-canonical base64url ---------------------------------------------------------------


def with_spare_bits_set(segment_text: str) -> str:
    """The same bytes to a lenient decoder: the last character's unused low bits set."""
    spare = {2: 4, 3: 2}.get(len(segment_text) % 4, 0)  # 2 chars carry 8 bits, 3 chars 16
    assert spare, "no unused bits in a segment whose length is a multiple of 4"
    last = B64URL.index(segment_text[-1])
    assert last % (1 << spare) == 0
    return segment_text[:-1] + B64URL[last | 1]


def replace_segment(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def claims_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(value, dict)
    return value


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(value, dict)
    return value


# --- a canary for URLs a verifier must never fetch (jku, x5u) --------------------------------


class Canary:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    @contextmanager
    def running(self) -> Iterator[Canary]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self._socket.close()


# --- the store, read from outside --------------------------------------------------------------


class StoreDump:
    """Every table of the SQLite file, read through the standard library, read-only."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def tables(self) -> list[str]:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        return [name for (name,) in self._db.execute(query)]

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        dump = {}
        for table in self.tables():
            rows = self._db.execute(f'SELECT * FROM "{table}"').fetchall()
            dump[table] = sorted(rows, key=repr)
        return dump

    def signing_secrets(self) -> dict[str, str]:
        query = "SELECT name, secret FROM emulator_signing_secrets"
        return dict(self._db.execute(query).fetchall())

    def close(self) -> None:
        self._db.close()
