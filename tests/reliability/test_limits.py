"""Bounded input: request bodies over `max_body_bytes` are answered 413 without being read,
in the vendor's own error shape with the reason in the journal; oversized headers get the
server's quick 400; oversized tokens get each vendor's own refusal.

The raw-socket tests talk to a real `serve` process, since "without reading the rest" is
about the wire: the answer arrives while the client still holds most of its body.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, last_request, make_settings
from tests.reliability import calls
from tests.reliability.conftest import log_problems
from tests.vendor_targets import assert_in_vendors_shape, body_route, route_name, vendor_ids
from token_emulator.settings import Settings, SettingsError
from token_emulator.testing import EmulatorProcess
from token_emulator.vendors import all_vendors
from token_emulator.vendors.web1on1.client import web1on1_login_of

pytestmark = pytest.mark.anyio

LIMIT = 64 * 1024  # the default
TEN_MB = 10 * 1024 * 1024
JSON = "application/json"
TOO_LARGE = "Content Too Large"

# A POST route of each vendor that reads its body, with what it checks before, and the
# control plane's; the vendor's 413 comes in its own shape (its tests check the fields).
ROUTES: dict[str, tuple[str, dict[str, str]]] = {
    **{vendor.id: body_route(vendor) for vendor in all_vendors()},
    "control": ("/_emulator/fixtures", {}),
}
VENDORS = {vendor.id: vendor for vendor in all_vendors()}
UNEEQ_HEADERS = {"workspace": "demo", "content-type": "application/jwt"}


def assert_too_large(vendor: str, content_type: str, body: bytes) -> None:
    answer = httpx.Response(413, headers={"content-type": content_type}, content=body)
    if vendor == "control":
        assert content_type == JSON and json.loads(body) == {"error": TOO_LARGE}
    else:
        assert_in_vendors_shape(VENDORS[vendor], answer, 413, TOO_LARGE)


# --- On the wire -------------------------------------------------------------------------


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after answering


def read_answer(sock: socket.socket) -> RawAnswer:
    """Everything the server sends until it closes (or goes quiet for 10 s)."""
    sock.settimeout(10)
    data = b""
    closed = False
    with contextlib.suppress(TimeoutError):
        while chunk := sock.recv(65536):
            data += chunk
        closed = True
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(int(status_line.split()[1]), headers, body, closed)


def post_head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


@contextlib.contextmanager
def connection(server: EmulatorProcess) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        yield sock


@pytest.mark.parametrize("vendor", list(ROUTES))
def test_a_declared_10_mb_body_is_refused_before_it_is_sent(
    server: EmulatorProcess, live: httpx.Client, vendor: str
) -> None:
    path = ROUTES[vendor][0]
    with connection(server) as sock:
        # The headers and the first 100 bytes; the other 10 MB are never sent.
        sock.sendall(post_head(path, f"Content-Length: {TEN_MB}", f"Content-Type: {JSON}"))
        sock.sendall(b"{" + b" " * 99)
        answer = read_answer(sock)
    assert answer.status == 413
    assert_too_large(vendor, answer.headers["content-type"], answer.body)
    reason = (
        f"body of {TEN_MB} bytes (Content-Length) is over the {LIMIT}-byte limit; refused unread"
    )
    assert answer.headers["x-emulator-reason"] == reason
    assert answer.headers["connection"] == "close" and answer.closed
    if vendor != "control":  # the journal keeps vendor requests (control calls are logged)
        entry = live.get("/_emulator/requests", params={"limit": 1}).json()["requests"][0]
        assert (entry["vendor"], entry["path"], entry["status"], entry["reason"]) == (
            vendor,
            path,
            413,
            reason,
        )


@pytest.mark.parametrize(
    ("framing", "length"),
    [
        ("no Content-Length", []),
        # RFC 9112, 6.3: chunked framing wins, so the declared 2 bytes bound nothing.
        ("Transfer-Encoding, which overrides its Content-Length", ["Content-Length: 2"]),
    ],
    ids=["chunked", "chunked-beside-content-length-2"],
)
@pytest.mark.parametrize("vendor", vendor_ids())
def test_a_chunked_body_is_refused_once_past_the_limit(
    server: EmulatorProcess, live: httpx.Client, vendor: str, framing: str, length: list[str]
) -> None:
    path, checked_first = ROUTES[vendor]
    chunk = b"x" * 30_000
    with connection(server) as sock:
        before = [f"{name}: {value}" for name, value in checked_first.items()]
        chunked = [*before, "Transfer-Encoding: chunked", *length]
        sock.sendall(post_head(path, *chunked, f"Content-Type: {JSON}"))
        # Three chunks, 90 000 bytes, and no last chunk: the body has not ended.
        sock.sendall(b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)))
        answer = read_answer(sock)
    assert answer.status == 413
    assert_too_large(vendor, answer.headers["content-type"], answer.body)
    read = re.fullmatch(
        rf"body passed the {LIMIT}-byte limit at (\d+) bytes \({framing}\); the rest was not read",
        answer.headers["x-emulator-reason"],
    )
    assert read is not None and LIMIT < int(read[1]) <= 90_000
    assert answer.closed
    entry = live.get("/_emulator/requests", params={"limit": 1}).json()["requests"][0]
    assert (entry["route"], entry["status"], entry["reason"]) == (
        route_name(VENDORS[vendor], "POST", path),
        413,
        answer.headers["x-emulator-reason"],
    )


def test_a_body_of_exactly_the_limit_is_read(live: httpx.Client) -> None:
    email, password = web1on1_login_of(calls.WEB1ON1_EMAIL)
    login = json.dumps({"email": email, "password": password}).encode()
    padded = login[:-1] + b" " * (LIMIT - len(login)) + b"}"
    assert len(padded) == LIMIT
    answer = live.post(calls.WEB1ON1_TOKEN, content=padded, headers={"content-type": JSON})
    assert answer.status_code == 201 and calls.claims(answer.json()["token"])["scope"] == "agent"
    over = live.post(calls.WEB1ON1_TOKEN, content=padded + b" ", headers={"content-type": JSON})
    assert (over.status_code, over.json()) == (413, {"error": {"message": TOO_LARGE}})


def wait_for_entry(live: httpx.Client, path: str) -> dict[str, Any]:
    """The journal entry of a request whose client went away: the server writes it when it
    notices, a moment after the client closed (real time: this is about the wire)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = live.get("/_emulator/requests", params={"limit": 1}).json()["requests"]
        if found and found[0]["path"] == path:
            entry: dict[str, Any] = found[0]
            return entry
        time.sleep(0.05)
    raise AssertionError(f"no journal entry for {path}")


def test_a_client_leaving_mid_body_is_a_dropped_request_not_an_error(
    server: EmulatorProcess, live: httpx.Client
) -> None:
    with connection(server) as sock:
        sock.sendall(post_head(calls.WEB1ON1_TOKEN, "Content-Length: 1000") + b'{"email": ')
        # Let the server start reading the body before the client goes (wire time).
        time.sleep(0.2)
    entry = wait_for_entry(live, calls.WEB1ON1_TOKEN)
    assert (entry["route"], entry["status"], entry["reason"]) == (
        "web1on1:token",
        0,
        "client disconnected before the 1000 bytes of its Content-Length arrived",
    )
    assert server.log_path is not None
    assert log_problems(server.log_path) == []


def test_headers_still_arriving_past_16_kib_get_a_quick_400(server: EmulatorProcess) -> None:
    with connection(server) as sock:
        # 40 KiB of one header and no blank line: uvicorn's h11 gives up at 16 KiB.
        sock.sendall(b"GET /widget/api/v1/widget/config HTTP/1.1\r\nCookie: " + b"c" * 40_960)
        answer = read_answer(sock)
    assert (answer.status, answer.body) == (400, b"Invalid HTTP request received.")
    assert answer.closed


def test_a_1_mb_authorization_header_never_reaches_the_app(
    server: EmulatorProcess, live: httpx.Client
) -> None:
    before = live.get("/_emulator/requests").json()["requests"]
    head = post_head("/unifize/application/token", "Authorization: Bearer " + "a" * 1_048_576)
    with connection(server) as sock:
        try:
            sock.sendall(head)
            answer: RawAnswer | None = read_answer(sock)
        except ConnectionError:
            # The server answered 400 and closed with most of the header unread: the kernel
            # turns that close into a reset, which can overtake the answer.
            answer = None
    if answer is not None:
        assert (answer.status, answer.body, answer.closed) == (
            400,
            b"Invalid HTTP request received.",
            True,
        )
    assert live.get("/_emulator/health").status_code == 200
    assert live.get("/_emulator/requests").json()["requests"] == before
    assert server.log_path is not None
    assert "Invalid HTTP request received." in server.log_path.read_text()
    assert log_problems(server.log_path) == []


# --- In-process: every shape, both ways of counting, the setting -------------------------

SMALL = 1024


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with a 1 KiB body limit."""
    async for client in in_process(make_settings(tmp_path, max_body_bytes=SMALL)):
        yield client


async def streamed(size: int, piece: int = 600) -> AsyncIterator[bytes]:
    """`size` bytes in pieces, with no Content-Length (httpx sends it chunked)."""
    for start in range(0, size, piece):
        yield b" " * min(piece, size - start)


@pytest.mark.parametrize("vendor", list(ROUTES))
async def test_every_shape_both_ways(small: httpx.AsyncClient, vendor: str) -> None:
    path = ROUTES[vendor][0]
    declared = await small.post(path, content=b" " * (SMALL + 1))
    assert declared.status_code == 413
    assert_too_large(vendor, declared.headers["content-type"], declared.content)
    assert declared.headers["x-emulator-reason"] == (
        f"body of {SMALL + 1} bytes (Content-Length) is over the {SMALL}-byte limit; refused unread"
    )
    headers = ROUTES[vendor][1]
    counted = await small.post(path, content=streamed(3000), headers=headers)
    assert counted.status_code == 413
    assert_too_large(vendor, counted.headers["content-type"], counted.content)
    reason = (
        f"body passed the {SMALL}-byte limit at 1200 bytes (no Content-Length); "
        "the rest was not read"
    )
    assert counted.headers["x-emulator-reason"] == reason
    if vendor != "control":
        entry = await last_request(small)
        assert (entry["vendor"], entry["status"], entry["reason"]) == (vendor, 413, reason)


async def test_a_streamed_body_within_the_limit_is_answered(small: httpx.AsyncClient) -> None:
    email, password = web1on1_login_of(calls.WEB1ON1_EMAIL)
    login = json.dumps({"email": email, "password": password}).encode()

    async def pieces() -> AsyncIterator[bytes]:
        yield login[:-1]
        yield b" " * (SMALL - len(login))
        yield b"}"

    answer = await small.post(calls.WEB1ON1_TOKEN, content=pieces())
    assert answer.status_code == 201 and calls.claims(answer.json()["token"])["scope"] == "agent"


def test_the_setting_from_environment_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().max_body_bytes == LIMIT
    monkeypatch.setenv("EMULATOR_MAX_BODY_BYTES", "2048")
    assert Settings.from_env().max_body_bytes == 2048
    assert Settings.from_env(max_body_bytes=1024).max_body_bytes == 1024  # a flag wins
    monkeypatch.setenv("EMULATOR_MAX_BODY_BYTES", "64k")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env()
    assert str(refused.value) == "EMULATOR_MAX_BODY_BYTES must be a whole number, not '64k'"


def test_serve_takes_the_flag(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    args = ("--max-body-bytes", "100")
    with EmulatorProcess(":memory:", fixtures=FIXTURES, log_path=log, extra_args=args) as server:
        answer = httpx.post(server.url + calls.WEB1ON1_TOKEN, content=b" " * 101)
    assert (answer.status_code, answer.json()) == (413, {"error": {"message": TOO_LARGE}})
    assert answer.headers["x-emulator-reason"] == (
        "body of 101 bytes (Content-Length) is over the 100-byte limit; refused unread"
    )


# --- Oversized tokens: each vendor's own refusal ----------------------------------------

BIG = 60_000  # under the body limit, so the vendor itself sees it


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "body", "reason"),
    [
        (
            "POST",
            calls.UNEEQ_TOKEN,
            {"content": "a" * BIG, "headers": UNEEQ_HEADERS},
            400,
            "Bad Request",
            "body is not a compact JWS (Invalid JSON Web Signature)",
        ),
        (
            "POST",
            calls.UNEEQ_START,
            {"json": calls.uneeq_start_body("a" * BIG)},
            401,
            "Unauthorized",
            "unknown token",
        ),
        (
            "POST",
            "/unifize/application/token",
            {"headers": {"Authorization": "Bearer " + "a" * 12_000}},
            401,
            '{"status":401,"error":"unauthorized","message":"Authentication failed"}',
            "assertion is 12000 bytes, over the 8 KiB limit",
        ),
        (
            "GET",
            "/8x8/api/v1/call-logs",
            {"headers": {"x-token": "a" * 12_000}},
            401,
            None,
            "auth token is 12000 bytes, over the 8 KiB limit",
        ),
        (
            "GET",
            "/web1on1/v2/contacts",
            {"headers": {"Authorization": "Bearer " + "a" * 12_000}},
            401,
            '{"error":{"message":"invalid token"}}',
            "token is 12000 bytes, over the 8 KiB limit",
        ),
        (
            "POST",
            calls.WIDGET_EXCHANGE,
            {
                "json": {"token": "a" * BIG, "client_key": calls.WIDGET_KEY},
                "headers": calls.ORIGIN,
            },
            400,
            "Missing or expired token",
            "token is 60000 characters, over the limit",
        ),
    ],
)
async def test_oversized_tokens_get_the_vendors_refusal(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
    body: str | None,
    reason: str,
) -> None:
    answer = await client.request(method, path, **options)
    assert answer.status_code == status
    if body is not None:
        assert answer.text == body
    else:
        assert (answer.json()["code"], answer.json()["message"]) == (1200, "Unauthorized Access")
    entry = await last_request(client)
    assert (entry["status"], entry["reason"]) == (status, reason)
