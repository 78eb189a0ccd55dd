"""What the benchmarks send: each vendor's token request and whole flow, as its client
declares them (its client.py: `token_call`, `follow_up`, `redemption`).

Everything a client signs (UneeQ's request JWT, Unifize's RS256 assertion) is
built before the clock starts: it is the client's work, not the emulator's.
Credentials come from the fixture files, as the flow helpers take them.
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
from token_emulator.core.calls import Call
from token_emulator.core.vendor_client import Redemption, VendorClient
from token_emulator.settings import default_fixtures_dir
from token_emulator.vendors import all_clients


def vendor_ids() -> tuple[str, ...]:
    return tuple(client.id for client in all_clients())


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


def request_of(call: Call) -> HttpRequest:
    """A client's call as the bytes a load test sends."""
    headers = list(call.headers.items())
    body = b""
    if call.json is not None:
        headers.append(("Content-Type", "application/json"))
        body = json_body(call.json)
    elif call.content is not None:
        body = call.content.encode() if isinstance(call.content, str) else call.content
    expect = call.expect[0] if call.expect else 200
    return HttpRequest(call.method, call.path, tuple(headers), body, expect=expect)


def _setting_line(name: str, value: Any) -> str:
    return f"{name} = {json.dumps(value)}"


def bench_fixtures(workdir: Path) -> Path:
    """The default fixtures with each vendor's load-test settings in force (web1on1's
    documented 20 requests a second per IP, which the emulator keeps, would answer a
    load test of its login from one address with 429s). The rest is unchanged."""
    target = workdir / "fixtures"
    shutil.copytree(default_fixtures_dir(), target, dirs_exist_ok=True)
    for client in all_clients():
        path = target / client.fixture_file
        text = path.read_text() if path.exists() else ""
        for name, value in client.load_test_settings.items():
            line = re.compile(rf"^{re.escape(name)} = .*$", re.MULTILINE)
            text, count = line.subn(_setting_line(name, value), text)
            if count == 0:  # top-level settings come before the first table
                text = _setting_line(name, value) + "\n" + text
        path.write_text(text)
    return target


# --- one token request per vendor: what the HTTP load test repeats -------------------


def token_requests(fixtures: Path) -> dict[str, HttpRequest]:
    """Each vendor's token endpoint with its state write, as a valid request.

    A Unifize assertion is valid for 600 s from now (real time: the benchmarks never
    move the emulator clock), longer than any run."""
    return {
        client.id: request_of(client.token_call(fixtures=fixtures))
        for client in all_clients()
        if client.token_call is not None
    }


def route_descriptions(fixtures: Path) -> dict[str, str]:
    """What each vendor's token request is, for the report."""
    described = {}
    for client in all_clients():
        if client.token_call is not None:
            call = client.token_call(fixtures=fixtures)
            described[client.id] = f"{call.step} ({call.method} {call.path})"
    return described


def redeeming() -> VendorClient:
    """The vendor whose flow ends by redeeming a single-use token: what the redemption
    benchmarks time (the first that declares a redemption)."""
    for client in all_clients():
        if client.redemption is not None and client.token_call is not None:
            return client
    raise RuntimeError("no vendor declares a redemption")


def redemption_of(client: VendorClient) -> Redemption:
    assert client.redemption is not None
    return client.redemption


def token_request(client: VendorClient, fixtures: Path) -> HttpRequest:
    assert client.token_call is not None
    return request_of(client.token_call(fixtures=fixtures))


def redeem_request(client: VendorClient, token: str) -> HttpRequest:
    return request_of(redemption_of(client).call(token))


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


def _flow(client: VendorClient, call: Call) -> Flow:
    request = request_of(call)
    follow_up = client.follow_up

    async def flow(caller: AsgiCaller) -> None:
        answer = await _step(caller, request)
        if follow_up is not None:
            await _step(caller, request_of(follow_up(json.loads(answer), call)))

    return flow


def flows(fixtures: Path) -> dict[str, Flow]:
    """Each vendor's whole token flow: its token request (built once, without the flow
    helper's read of the emulator clock) and what its client sends next, if anything
    (UneeQ's redemption, the widget's exchange)."""
    return {
        client.id: _flow(client, client.token_call(fixtures=fixtures))
        for client in all_clients()
        if client.token_call is not None
    }


def flow_steps() -> dict[str, str]:
    """What each vendor's whole flow is, for the report."""
    return {
        client.id: client.summary
        + (", then what its client sends next" if client.follow_up else "")
        for client in all_clients()
    }
