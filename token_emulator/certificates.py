"""`serve --tls`: the server's certificate, from a local certificate authority of the
emulator's own or from files the user gives (`--tls-cert`, `--tls-key`).

The local authority is made once and kept in a directory beside the database
(`X.tls/` for a SQLite file `X`), so clients that trust it keep trusting it
across restarts; a server without such a file (a temporary database, memory,
PostgreSQL) makes one for the run. The server's certificate is issued again
whenever the names asked for change or it nears its end. Everything is the
`cryptography` library's; nothing here encodes or signs by hand.

Certificates are about the real time, which browsers and TLS libraries check
against the machine's clock, never about the emulator's clock (a test that
moves it ten years ahead must still connect).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import hashlib
import ipaddress
import os
import re
import ssl
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes as PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The names every server certificate holds: the machine itself, by name and address.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
# A DNS name as certificates hold it (RFC 5280 4.2.1.6: A-labels), a wildcard first.
HOST_NAME = re.compile(
    r"(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*",
    re.IGNORECASE,
)
# Browsers refuse longer-lived server certificates from public authorities; staying
# under that keeps a page from failing for a reason a test never meant to test.
SERVER_DAYS = 397
# Issued again once this close to its end, at a start.
RENEW_DAYS = 30
AUTHORITY_DAYS = 3650
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CERT_FILE = "server.pem"  # the server's certificate, then the authority's (the chain)
KEY_FILE = "server-key.pem"


class CertificateError(ValueError):
    """Why the server cannot serve HTTPS with what it was given; one line."""


@dataclass(frozen=True)
class ServerCertificate:
    """What uvicorn serves HTTPS with, and the authority's certificate for clients to
    trust (None: the user's own certificate, whose authority the emulator cannot know)."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _entry(name: str) -> x509.GeneralName:
    """A subjectAltName entry: an IP address as such, anything else as a DNS name."""
    with contextlib.suppress(ValueError):
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    return x509.DNSName(name)


def server_names(extra: Iterable[str]) -> tuple[str, ...]:
    """LOCAL_NAMES and `extra` (--tls-name, the bound host), each once, in order; a
    wildcard address (0.0.0.0, ::) is where the server listens, not a name."""
    names: list[str] = []
    for name in (*LOCAL_NAMES, *extra):
        name = name.strip().lower()
        if name and name not in ("0.0.0.0", "::", "[::]") and name not in names:
            names.append(name)
    return tuple(names)


def name_problem(name: str) -> str | None:
    """Why `name` (a --tls-name) cannot be in a certificate, if it cannot."""
    text = name.strip()
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(text.strip("[]"))
        return None
    if HOST_NAME.fullmatch(text):
        return None
    return (
        f"--tls-name {text[:60]!r} is not a host name or address (letters, digits, '-' "
        "and '.', or '*.' first; an international name in its xn-- form)"
    )


def _write(path: Path, data: bytes) -> None:
    """A file written whole or not at all, readable by its owner only (mkstemp's 0600:
    the keys need it, and the certificates lose nothing by it)."""
    descriptor, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        raise


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """The directory to one process at a time: two servers starting on one database
    (replicas, workers) must not write the authority or the certificate at once."""
    descriptor = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """A server's key signs its handshakes; an authority's, certificates too."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _same_key(certificate: x509.Certificate, key: PrivateKey) -> bool:
    """The certificate is for this private key (their public keys, compared as DER)."""
    return _spki(certificate.public_key()) == _spki(key.public_key())


def _spki(public: Any) -> bytes:
    return bytes(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_authority(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    # A name that says whose and which: two servers' authorities are told apart in a
    # browser's certificate list.
    serial = x509.random_serial_number()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "token-emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"token-emulator local CA {serial:x}"[:64]),
        ]
    )
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=AUTHORITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(directory / CA_KEY_FILE, _key_pem(key))
    _write(directory / CA_FILE, certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key


def _load_authority(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The authority kept in `directory`, if both its files are there and usable."""
    try:
        certificate = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), None)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        raise CertificateError(
            f"the local certificate authority in {directory} cannot be read ({error}); "
            f"remove {directory} to make a new one (clients must then trust the new one)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_key(certificate, key):
        raise CertificateError(
            f"{directory / CA_KEY_FILE} is not the key of {directory / CA_FILE}; remove "
            f"{directory} to make a new authority (clients must then trust the new one)"
        )
    if certificate.not_valid_after_utc < _now() + datetime.timedelta(days=RENEW_DAYS):
        raise CertificateError(
            f"the local certificate authority in {directory} ends on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; remove {directory} to make a new one"
        )
    return certificate, key


def _issue(
    directory: Path,
    names: tuple[str, ...],
    authority: x509.Certificate,
    authority_key: ec.EllipticCurvePrivateKey,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(authority.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_entry(name) for name in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    _write(directory / KEY_FILE, _key_pem(key))
    chain = certificate.public_bytes(serialization.Encoding.PEM) + authority.public_bytes(
        serialization.Encoding.PEM
    )
    _write(directory / CERT_FILE, chain)


def _current(directory: Path, names: tuple[str, ...], authority: x509.Certificate) -> bool:
    """The server certificate in `directory` names exactly `names`, comes from
    `authority` and has more than RENEW_DAYS to run."""
    try:
        certificate = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), None)
        held = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, x509.ExtensionNotFound):
        return False  # missing, cut short, or not this emulator's: issued again
    return (
        isinstance(key, ec.EllipticCurvePrivateKey)
        and _same_key(certificate, key)
        and set(held) == {_entry(name) for name in names}
        and certificate.issuer == authority.subject
        and certificate.not_valid_after_utc > _now() + datetime.timedelta(days=RENEW_DAYS)
    )


def authority_directory(database: str | None) -> Path | None:
    """Where `serve --tls` keeps its local authority: `X.tls/` beside a SQLite file `X`
    (as its worlds are in `X.worlds/`); None for a database without a file of its own."""
    if database is None or "mode=memory" in database:
        return None
    from sqlalchemy.engine import make_url

    from token_emulator.core.storage import database_url

    # Read as the store reads --database, and placed as core/storage/world_databases.py
    # places the worlds' files.
    url = make_url(database_url(database))
    file = url.database or ""
    if not url.drivername.startswith("sqlite") or file in ("", ":memory:"):
        return None  # PostgreSQL, or memory: no place on this machine is the database's
    return Path(file + ".tls")


def local_authority(directory: Path, names: Iterable[str]) -> ServerCertificate:
    """The server's certificate for `names` (and LOCAL_NAMES) from the authority kept in
    `directory`, both made there first when missing (the directory only its owner
    reads: it holds the authority's key)."""
    wanted = server_names(names)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(directory):
            loaded = _load_authority(directory)
            authority, key = loaded if loaded is not None else _make_authority(directory)
            if loaded is None or not _current(directory, wanted, authority):
                _issue(directory, wanted, authority, key)
    except OSError as error:
        raise CertificateError(
            f"cannot keep the TLS certificates in {directory}: {error.strerror}"
        ) from None
    return ServerCertificate(directory / CERT_FILE, directory / KEY_FILE, directory / CA_FILE)


def own_certificate(cert_file: str, key_file: str | None) -> ServerCertificate:
    """`--tls-cert` (with its chain) and `--tls-key`, checked as TLS will load them, so a
    wrong file stops the start with one line rather than a traceback from uvicorn."""
    if key_file is None:
        raise CertificateError("--tls-cert needs --tls-key (the certificate's private key)")
    for option, path in (("--tls-cert", cert_file), ("--tls-key", key_file)):
        if not Path(path).is_file():
            raise CertificateError(f"{option} {path}: no such file")
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    except (OSError, ValueError) as error:
        raise CertificateError(
            f"--tls-cert {cert_file} is not a PEM certificate: {error}"
        ) from None
    try:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), None)
    except TypeError:
        raise CertificateError(
            f"--tls-key {key_file} is encrypted; give it unencrypted (the server starts "
            "unattended, with no one to type a passphrase)"
        ) from None
    except (OSError, ValueError) as error:
        raise CertificateError(f"--tls-key {key_file} is not a PEM private key: {error}") from None
    if not _same_key(certificate, key):
        raise CertificateError(f"--tls-key {key_file} is not the key of --tls-cert {cert_file}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # What uvicorn will do with them; a password callback so that OpenSSL never
        # prompts on a terminal.
        context.load_cert_chain(cert_file, key_file, password=_no_passphrase)
    except (OSError, ssl.SSLError) as error:
        raise CertificateError(
            f"--tls-cert {cert_file} with --tls-key {key_file} cannot serve TLS: "
            f"{getattr(error, 'reason', None) or error}"
        ) from None
    return ServerCertificate(Path(cert_file), Path(key_file), None)


def _no_passphrase() -> bytes:
    raise CertificateError("the key is encrypted; give it unencrypted")


def certificates_in(pem: bytes) -> bytes | None:
    """The PEM certificates `pem` holds, encoded again (nothing else it holds, a key
    say, can come along); None when it holds none."""
    try:
        found = x509.load_pem_x509_certificates(pem)
    except ValueError:
        return None
    return b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in found)


def sha256_fingerprint(pem: bytes) -> str:
    """The SHA-256 fingerprint of a certificate as browsers and openssl show it (AB:CD:...)."""
    certificate = x509.load_pem_x509_certificate(pem)
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def spki_fingerprint(pem: bytes) -> str:
    """base64 of the SHA-256 of a certificate's public key: what Chromium's
    --ignore-certificate-errors-spki-list and HTTP public key pins name it by."""
    public = _spki(x509.load_pem_x509_certificate(pem).public_key())
    return base64.b64encode(hashlib.sha256(public).digest()).decode()
