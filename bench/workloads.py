"""What the benchmarks send: each vendor's token request and whole flow, from the fixtures.

Everything a client signs (UneeQ's request JWT, Unifize's RS256 assertion) is
built before the clock starts: it is the client's work, not the emulator's.
Credentials come from the fixture files through token_emulator.testing.credentials,
as the flow helpers take them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.asgi import AsgiCaller
from bench.reference_app import JSON_PATH
from token_emulator.settings import default_fixtures_dir
from token_emulator.vendors.eightbyeight.client import eightbyeight_api_key
from token_emulator.vendors.uneeq.client import uneeq_request_jwt, uneeq_secret
from token_emulator.vendors.unifize.client import unifize_assertion, unifize_private_key
from token_emulator.vendors.web1on1.client import web1on1_login_of
from token_emulator.vendors.widget.client import widget_client_key

VENDORS = ("uneeq", "unifize", "8x8", "web1on1", "widget")
UNEEQ_TOKEN = "/uneeq/api/v1/clients/access/tokens"
UNEEQ_START = "/uneeq/api/v2/clients/start-session"
WIDGET_API = "/widget/api/v1/widget"
ORIGIN = "http://localhost:3000"
RATE_LIMIT_LINE = re.compile(r"^rate_limit_per_second = \d+$", re.MULTILINE)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    expect: int = 200  # the status a valid request gets

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(name.lower().encode(), value.encode()) for name, value in self.headers]
        if self.body:
            headers.append((b"content-length", str(len(self.body)).encode()))
        return headers

    def wire(self, port: int) -> bytes:
        """The request as HTTP/1.1 bytes, keep-alive."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body

    async def send(self, caller: AsgiCaller) -> tuple[int, bytes]:
        answer = await caller.request(self.method, self.path, self.asgi_headers(), self.body)
        return answer.status, answer.body


def json_body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def bench_fixtures(workdir: Path) -> Path:
    """The default fixtures with web1on1's rate limit off.

    web1on1 allows 20 requests a second per IP (its documented limit, which the
    emulator enforces); a load test of its login from one address would measure
    429s. Everything else is the default fixtures, unchanged.
    """
    target = workdir / "fixtures"
    shutil.copytree(default_fixtures_dir(), target, dirs_exist_ok=True)
    web1on1 = target / "web1on1.toml"
    text, count = RATE_LIMIT_LINE.subn("rate_limit_per_second = 0", web1on1.read_text())
    if count != 1:
        raise RuntimeError(f"expected one rate_limit_per_second line in {web1on1}, found {count}")
    web1on1.write_text(text)
    return target


# --- one token request per vendor: what the HTTP load test repeats -------------------


def uneeq_token_request(fixtures: Path) -> HttpRequest:
    jwt = uneeq_request_jwt(uneeq_secret("demo", fixtures), "demo", sid="bench")
    headers = (("workspace", "demo"), ("Content-Type", "application/jwt"))
    return HttpRequest("POST", UNEEQ_TOKEN, headers, jwt.encode())


def uneeq_start_request(token: str) -> HttpRequest:
    """The start-session body uneeq-js 2.58.1 sends (FINDINGS.md): the redemption."""
    body = {
        "workspaceName": "demo",
        "sessionType": 0,
        "sdkVersion": "2.58.1",
        "clientWidth": 800,
        "clientHeight": 600,
        "tokenId": token,
    }
    headers = (("Content-Type", "application/json"),)
    return HttpRequest("POST", UNEEQ_START, headers, json_body(body))


def token_requests(fixtures: Path) -> dict[str, HttpRequest]:
    """Each vendor's token endpoint with its state write, as a valid request.

    The Unifize assertion is valid for 600 s from now (real time: the benchmarks
    never move the emulator clock), longer than any run.
    """
    email, password = web1on1_login_of(None, fixtures)
    assertion = unifize_assertion(101, unifize_private_key(101, fixtures))
    json_type = ("Content-Type", "application/json")
    return {
        "uneeq": uneeq_token_request(fixtures),
        "unifize": HttpRequest(
            "POST", "/unifize/application/token", (("Authorization", f"Bearer {assertion}"),)
        ),
        "8x8": HttpRequest(
            "POST",
            "/8x8/api/v1/tokens",
            (("Authorization", f"Bearer {eightbyeight_api_key(fixtures)}"),),
        ),
        "web1on1": HttpRequest(
            "POST",
            "/web1on1/v2/auth/token",
            (json_type,),
            json_body({"email": email, "password": password}),
            expect=201,
        ),
        "widget": HttpRequest(
            "POST",
            f"{WIDGET_API}/auth/guest",
            (json_type, ("Origin", ORIGIN)),
            json_body({"client_key": widget_client_key(fixtures)}),
        ),
    }


ROUTES = {
    "uneeq": "uneeq:token (POST /uneeq/api/v1/clients/access/tokens)",
    "unifize": "unifize:token (POST /unifize/application/token)",
    "8x8": "8x8:token (POST /8x8/api/v1/tokens, no body)",
    "web1on1": "web1on1:token (POST /web1on1/v2/auth/token, password login)",
    "widget": "widget:guest (POST /widget/api/v1/widget/auth/guest)",
}

BARE_REQUEST = HttpRequest(
    "POST", JSON_PATH, (("Content-Type", "application/json"),), json_body({"client_key": "x" * 30})
)
OAUTH2_MOCK_REQUEST = HttpRequest(
    "POST",
    "/token",
    (("Content-Type", "application/x-www-form-urlencoded"),),
    b"grant_type=client_credentials",
)


# --- whole flows, in-process -------------------------------------------------------


class FlowFailed(RuntimeError):
    """A step answered another status than a valid request gets: no figure from this run."""


async def _step(caller: AsgiCaller, request: HttpRequest) -> bytes:
    status, body = await request.send(caller)
    if status != request.expect:
        raise FlowFailed(f"{request.method} {request.path} answered {status}: {body[:200]!r}")
    return body


Flow = Callable[[AsgiCaller], Awaitable[None]]


def flows(fixtures: Path) -> dict[str, Flow]:
    """Each vendor's whole token flow: the requests its token_emulator.testing helper makes
    (without the helper's read of the emulator clock), and for UneeQ the redemption."""
    requests = token_requests(fixtures)
    widget_key = widget_client_key(fixtures)

    async def uneeq(caller: AsgiCaller) -> None:
        token = json.loads(await _step(caller, requests["uneeq"]))["token"]
        await _step(caller, uneeq_start_request(token))

    async def single(caller: AsgiCaller, vendor: str) -> None:
        await _step(caller, requests[vendor])

    async def widget(caller: AsgiCaller) -> None:
        visitor = json.loads(await _step(caller, requests["widget"]))["token"]
        exchange = HttpRequest(
            "POST",
            f"{WIDGET_API}/auth/exchange",
            (("Content-Type", "application/json"), ("Origin", ORIGIN)),
            json_body({"token": visitor, "client_key": widget_key}),
        )
        await _step(caller, exchange)

    async def unifize(caller: AsgiCaller) -> None:
        await single(caller, "unifize")

    async def eightbyeight(caller: AsgiCaller) -> None:
        await single(caller, "8x8")

    async def web1on1(caller: AsgiCaller) -> None:
        await single(caller, "web1on1")

    return {
        "uneeq": uneeq,
        "unifize": unifize,
        "8x8": eightbyeight,
        "web1on1": web1on1,
        "widget": widget,
    }


FLOW_STEPS = {
    "uneeq": "token request JWT -> single-use token -> start-session (the redemption)",
    "unifize": "RS256 assertion -> access token",
    "8x8": "API key -> auth token",
    "web1on1": "email + password -> access and refresh tokens",
    "widget": "guest visitor token -> exchange for a session (single use)",
}
