"""The local authority's files (token_emulator/certificates.py) under what happens to
them: two servers starting at once, a key that is not its certificate's, and
`token-emulator ca` against a server in between."""

from __future__ import annotations

import http.server
import multiprocessing
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509

from token_emulator.certificates import (
    CA_FILE,
    CA_KEY_FILE,
    CERT_FILE,
    KEY_FILE,
    CertificateError,
    local_authority,
)
from token_emulator.testing import free_port


def make_authority(directory: str) -> None:
    local_authority(Path(directory), ["emulator"])


def consistent(directory: Path) -> bool:
    """The server's key is its certificate's, and the authority signed that certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / CERT_FILE, directory / KEY_FILE)
    served = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
    authority = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
    served.verify_directly_issued_by(authority)
    return True


def test_two_servers_starting_at_once_leave_one_consistent_authority(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    for attempt in range(12):
        directory = tmp_path / f"{attempt}.tls"
        processes = [spawn.Process(target=make_authority, args=(str(directory),)) for _ in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
            assert process.exitcode == 0
        assert consistent(directory)
        names = {path.name for path in directory.iterdir()}
        assert names == {CA_FILE, CA_KEY_FILE, CERT_FILE, KEY_FILE, ".lock"}  # no scratch


def test_a_server_key_that_is_not_its_certificates_is_issued_again(tmp_path: Path) -> None:
    directory = tmp_path / "x.tls"
    local_authority(directory, [])
    other = local_authority(tmp_path / "other.tls", [])
    (directory / KEY_FILE).write_bytes(other.key_file.read_bytes())
    authority = (directory / CA_FILE).read_bytes()
    local_authority(directory, [])
    assert consistent(directory)
    assert (directory / CA_FILE).read_bytes() == authority  # clients keep trusting it


def test_an_authority_key_that_is_not_its_certificates_stops_with_one_line(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "x.tls"
    local_authority(directory, [])
    other = local_authority(tmp_path / "other.tls", [])
    (directory / CA_KEY_FILE).write_bytes((other.ca_file.parent / CA_KEY_FILE).read_bytes())
    with pytest.raises(CertificateError, match=r"is not the key of .*remove"):
        local_authority(directory, [])


class _Recording(http.server.BaseHTTPRequestHandler):
    """A server in between: it records what it is sent and serves an authority that did
    not sign its own certificate."""

    seen: ClassVar[list[str | None]] = []
    answer: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("authorization"))
        body = type(self).answer if self.path.endswith("ca.pem") else b'{"status": "ready"}'
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def in_between(tmp_path: Path) -> Iterator[str]:
    own = local_authority(tmp_path / "in-between.tls", [])
    _Recording.seen = []
    _Recording.answer = local_authority(tmp_path / "elsewhere.tls", []).ca_file.read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Recording)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(own.cert_file, own.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_ca_command_keeps_the_admin_token_and_refuses_an_authority_in_between(
    in_between: str, tmp_path: Path
) -> None:
    env = {**os.environ, "EMULATOR_ADMIN_TOKEN": "an-admin-token-never-to-be-sent"}
    env["EMULATOR_CA_FILE"] = str(tmp_path / "stale.pem")  # not read by `ca`
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "ca", "--url", in_between, "-o", "ca.pem"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "not signed by the authority it gave" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "ca.pem").exists()  # nothing written from it
    assert _Recording.seen and set(_Recording.seen) == {None}  # no Authorization sent


@pytest.mark.parametrize("command", [("schema", "uneeq"), ("worlds", "export")])
def test_an_output_that_cannot_be_written_is_one_line(command: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", *command, "-o", "/nonexistent/dir/x.json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "EMULATOR_URL": "http://127.0.0.1:1"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("token-emulator: ")
