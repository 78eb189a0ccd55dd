"""`serve --tls`: HTTPS on the port, from a local authority kept beside the database,
trusted by clients through its certificate (`GET /_emulator/ca.pem`, `token-emulator
ca`); every vendor's flow over it; a client that does not trust it is refused."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from token_emulator.certificates import CA_FILE, CERT_FILE, local_authority
from token_emulator.client import EmulatorUnreachable, TokenEmulator
from token_emulator.testing import EmulatorProcess
from token_emulator.vendors import all_clients

VENDORS = [client.id for client in all_clients()]
TOKEN_FIELDS = {client.id: client.token_field for client in all_clients()}


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    directory = tmp_path_factory.mktemp("https")
    with EmulatorProcess(
        directory / "emulator.sqlite3", tls=True, log_path=directory / "server.log"
    ) as server:
        yield server


@pytest.fixture
def emulator(https_server: EmulatorProcess) -> Iterator[TokenEmulator]:
    """A fresh world of the HTTPS server, trusting its authority."""
    with TokenEmulator(https_server.url, ca_file=https_server.ca_file) as server:
        world = server.create_world()["name"]
        with server.in_world(world) as handle:
            yield handle
        server.delete_world(world)


def names_in(pem: bytes) -> set[str]:
    certificate = x509.load_pem_x509_certificate(pem)
    held = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(name.value) for name in held}


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendors_flow_over_https_trusting_the_local_authority(
    emulator: TokenEmulator, vendor: str
) -> None:
    answer = emulator.answer(vendor)
    assert answer[TOKEN_FIELDS[vendor]]
    [*_, last] = emulator.requests(vendor=vendor, bodies=True)
    assert last["status"] < 400
    assert last["request"]["headers"]  # the journal holds what came over TLS, as over HTTP
    assert last["answer"]["body"]


def test_a_client_that_does_not_trust_the_authority_fails_verification(
    https_server: EmulatorProcess,
) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{https_server.url}/_emulator/health")  # the system's authorities
    with (
        TokenEmulator(https_server.url) as untrusting,
        pytest.raises(EmulatorUnreachable, match="token-emulator ca"),
    ):
        untrusting.health()
    # Nor does plain HTTP reach the port.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{https_server.port}/_emulator/health")


def test_ca_pem_is_the_authority_and_the_server_certificate_comes_from_it(
    https_server: EmulatorProcess,
) -> None:
    assert https_server.ca_file is not None
    kept = https_server.ca_file.read_bytes()
    # Open without the admin token, and fetched as a client first meets it: unverified.
    unverified = httpx.get(f"{https_server.url}/_emulator/ca.pem", verify=False)
    assert unverified.status_code == 200
    assert unverified.headers["content-type"] == "application/x-pem-file"
    assert unverified.content == kept
    chain = (https_server.ca_file.parent / CERT_FILE).read_bytes()
    assert {"localhost", "127.0.0.1", "::1"} <= names_in(chain)
    authority = x509.load_pem_x509_certificate(kept)
    served = x509.load_pem_x509_certificate(chain)
    served.verify_directly_issued_by(authority)
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert https_server.ca_file.parent.name == "emulator.sqlite3.tls"
    assert https_server.ca_file.name == CA_FILE
    # Only its owner reads the authority's key.
    assert (https_server.ca_file.parent / "ca-key.pem").stat().st_mode & 0o077 == 0


def test_the_ca_command_prints_it_with_its_fingerprint(https_server: EmulatorProcess) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "ca", "--url", https_server.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert https_server.ca_file is not None
    assert done.stdout == https_server.ca_file.read_text()
    fingerprint = done.stderr.split("SHA-256 fingerprint ", 1)[1].strip()
    # The same fingerprint serve logged at its start, to compare over an untrusted network.
    assert https_server.log_path is not None
    assert fingerprint in https_server.log_path.read_text()


def test_qa_commands_trust_it_through_ca_file(https_server: EmulatorProcess) -> None:
    command = [sys.executable, "-m", "token_emulator", "token", "unifize"]
    command += ["--url", https_server.url]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    assert "--ca-file" in refused.stderr
    trusted = subprocess.run(
        [*command, "--ca-file", str(https_server.ca_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip()


def test_the_authority_is_kept_across_restarts_and_names_reissue_only_the_server(
    tmp_path: Path,
) -> None:
    database = tmp_path / "kept.sqlite3"
    with EmulatorProcess(database, tls=True) as first:
        assert first.ca_file is not None
        authority = first.ca_file.read_bytes()
        served = (first.ca_file.parent / CERT_FILE).read_bytes()
    with EmulatorProcess(database, tls=True) as again:
        assert again.ca_file is not None
        assert again.ca_file.read_bytes() == authority
        assert (again.ca_file.parent / CERT_FILE).read_bytes() == served
    with EmulatorProcess(database, tls=True, extra_args=("--tls-name", "emulator")) as renamed:
        assert renamed.ca_file is not None
        assert renamed.ca_file.read_bytes() == authority  # clients keep trusting it
        assert "emulator" in names_in((renamed.ca_file.parent / CERT_FILE).read_bytes())
        context = ssl.create_default_context(cafile=renamed.ca_file)
        # The new name is served: a client that asks for it by that name gets through.
        transport = httpx.HTTPTransport(verify=context)
        with httpx.Client(transport=transport) as client:
            answer = client.get(
                f"{renamed.url}/_emulator/health", extensions={"sni_hostname": "emulator"}
            )
        assert answer.status_code == 200


def test_a_temporary_database_gets_an_authority_for_the_run(tmp_path: Path) -> None:
    with EmulatorProcess(None, tls=True, log_path=tmp_path / "log") as server:
        pem = httpx.get(f"{server.url}/_emulator/ca.pem", verify=False).content
        context = ssl.create_default_context(cadata=pem.decode())
        assert httpx.get(f"{server.url}/_emulator/health", verify=context).status_code == 200
        logged = (tmp_path / "log").read_text()
        directory = Path(logged.split("local authority in ", 1)[1].split(" ", 1)[0]).parent
        assert directory.is_dir()
    assert not directory.exists()  # gone with the run


def test_a_certificate_of_your_own(tmp_path: Path) -> None:
    own = local_authority(tmp_path / "own", ["emulator.internal"])
    assert own.ca_file is not None
    arguments = ("--tls-cert", str(own.cert_file), "--tls-key", str(own.key_file))
    with EmulatorProcess(None, tls=True, extra_args=arguments) as server:
        context = ssl.create_default_context(cafile=own.ca_file)
        with TokenEmulator(server.url, ca_file=context) as emulator:
            assert emulator.token("uneeq")
        # No local authority of its own: the user's authority is the user's.
        answer = httpx.get(f"{server.url}/_emulator/ca.pem", verify=context)
        assert answer.status_code == 404
        assert "--tls-cert" in answer.json()["error"]


def test_plain_http_has_no_authority(server: EmulatorProcess) -> None:
    answer = httpx.get(f"{server.url}/_emulator/ca.pem")
    assert answer.status_code == 404
    assert "plain HTTP" in answer.json()["error"]


def test_workers_serve_https_with_one_certificate(tmp_path: Path) -> None:
    database = tmp_path / "workers.sqlite3"
    with EmulatorProcess(database, tls=True, extra_args=("--workers", "2")) as server:
        assert server.ca_file is not None
        context = ssl.create_default_context(cafile=server.ca_file)
        for _ in range(8):  # a new connection each time, whichever worker takes it
            with httpx.Client(verify=context) as client:
                assert client.get(f"{server.url}/_emulator/health").status_code == 200
        with TokenEmulator(server.url, ca_file=server.ca_file) as emulator:
            assert emulator.token("widget")


def test_links_and_cookies_say_https(https_server: EmulatorProcess, tmp_path: Path) -> None:
    with TokenEmulator(https_server.url, ca_file=https_server.ca_file) as emulator:
        answer = emulator.answer("8x8", create_room=True)
    assert answer["guest_link"].startswith(f"https://127.0.0.1:{https_server.port}/8x8/")
    token_file = tmp_path / "token"
    token_file.write_text("an-admin-token-of-20-chars\n")
    database = tmp_path / "guarded.sqlite3"
    arguments = ("--admin-token-file", str(token_file))
    with EmulatorProcess(database, tls=True, extra_args=arguments) as guarded:
        assert guarded.ca_file is not None
        context = ssl.create_default_context(cafile=guarded.ca_file)
        login = httpx.post(
            f"{guarded.url}/_emulator/login",
            data={"token": "an-admin-token-of-20-chars"},
            verify=context,
        )
    assert login.status_code == 303
    assert "secure" in login.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--tls-key", "key.pem"), "--tls-key needs --tls-cert"),
        (("--tls-cert", "missing.pem"), "--tls-cert needs --tls-key"),
        (("--tls-cert", "missing.pem", "--tls-key", "own/server-key.pem"), "missing.pem: no such"),
        (("--tls-cert", "own/server.pem", "--tls-key", "gone.pem"), "--tls-key gone.pem: no such"),
        (
            ("--tls-cert", "not-a-cert.pem", "--tls-key", "own/server-key.pem"),
            "not a PEM certificate",
        ),
        (("--tls-cert", "own/server.pem", "--tls-key", "not-a-cert.pem"), "not a PEM private key"),
        (("--tls-cert", "own/server.pem", "--tls-key", "own/ca-key.pem"), "is not the key of"),
        (("--tls-cert", "own/server.pem", "--tls-key", "encrypted.pem"), "is encrypted"),
        (("--tls", "--tls-name", "two words"), "is not a host name or address"),
    ],
)
def test_unusable_tls_settings_stop_the_start_with_one_line(
    tmp_path: Path, arguments: tuple[str, ...], message: str
) -> None:
    (tmp_path / "not-a-cert.pem").write_text("not a certificate\n")
    own = local_authority(tmp_path / "own", [])
    key = serialization.load_pem_private_key(own.key_file.read_bytes(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    (tmp_path / "encrypted.pem").write_bytes(encrypted)
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--port", "1", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,  # nothing to type a passphrase with
    )
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert message in line
    assert "Traceback" not in done.stderr


def test_ca_pem_serves_certificates_only(tmp_path: Path) -> None:
    """EMULATOR_TLS_CA is how serve tells its workers where the authority is; given by
    hand it neither opens ca.pem over plain HTTP nor serves anything but certificates."""
    env = {"EMULATOR_TLS_CA": "/etc/passwd"}
    with EmulatorProcess(tmp_path / "plain.sqlite3", env=env) as plain:
        answer = httpx.get(f"{plain.url}/_emulator/ca.pem")
        assert answer.status_code == 404, answer.text
        assert "root:" not in answer.text
    with EmulatorProcess(tmp_path / "tls.sqlite3", tls=True, env=env) as served:
        assert served.ca_file is not None
        answer = httpx.get(f"{served.url}/_emulator/ca.pem", verify=False)
        assert answer.content == served.ca_file.read_bytes()  # its own, not the variable's


def test_workers_log_https(tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    arguments = ("--workers", "2")
    with EmulatorProcess(tmp_path / "w.sqlite3", tls=True, extra_args=arguments, log_path=log) as s:
        assert f"Uvicorn running on https://127.0.0.1:{s.port}" in log.read_text()


def test_ca_pem_is_in_the_openapi_document(emulator: TokenEmulator) -> None:
    from token_emulator.control import api

    operation = emulator.call(api.OPENAPI)["paths"]["/_emulator/ca.pem"]["get"]
    assert "security" not in operation  # open, as health is
