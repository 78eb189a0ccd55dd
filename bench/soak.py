"""Soak: 100 000 requests at a real `serve` process, its memory (VmRSS) sampled as they go.

A mix of every vendor's token flows and of refusals (reused tokens, bad signatures,
refused origins, unknown paths, a body over the limit), with bounded concurrency, after
a warm-up that fills the journal. The server's VmRSS is read from /proc at the start
(after the warm-up), every tenth of the run, and at the end; the figures are printed and
written as JSON. Not part of the test run:

    .venv/bin/python bench/soak.py [--requests 100000] [--concurrency 16] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from token_emulator.settings import default_fixtures_dir  # noqa: E402
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt, unifize_assertion  # noqa: E402
from token_emulator.vendors.eightbyeight.client import eightbyeight_api_key  # noqa: E402
from token_emulator.vendors.uneeq.client import uneeq_secret  # noqa: E402
from token_emulator.vendors.web1on1.client import web1on1_login_of  # noqa: E402

WARM_UP = 5_000
SAMPLES = 10
LOG_PROBLEMS = ("database is locked", "Traceback", "Exception in ASGI application")

WIDGET = "/widget/api/v1/widget"
WIDGET_KEY = "pk_live_acme_TESTONLYmain0001"
ORIGIN = {"Origin": "http://localhost:3000"}
UNEEQ = {"workspace": "demo", "content-type": "application/jwt"}


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def database_size(workdir: Path) -> int:
    """The database with its WAL, in bytes."""
    return sum(f.stat().st_size for f in workdir.glob("soak.sqlite3*"))


def soak_fixtures(directory: Path) -> Path:
    """The default fixtures with web1on1's per-IP limit out of reach (every caller here is
    127.0.0.1); the limiter still counts every request."""
    fixtures = directory / "fixtures"
    shutil.copytree(default_fixtures_dir(), fixtures)
    web1on1 = fixtures / "web1on1.toml"
    text = web1on1.read_text()
    web1on1.write_text(
        text.replace("rate_limit_per_second = 20\n", "rate_limit_per_second = 1000000\n")
    )
    return fixtures


class Load:
    """Counts every request and its status; stops the flows once `budget` are sent."""

    def __init__(self, http: httpx.AsyncClient, budget: int) -> None:
        self.http = http
        self.budget = budget
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0
        self.assertion = unifize_assertion()
        self.assertion_made = time.monotonic()

    def exhausted(self) -> bool:
        return self.sent >= self.budget

    async def call(self, method: str, path: str, **options: Any) -> httpx.Response | None:
        self.sent += 1
        try:
            response = await self.http.request(method, path, **options)
        except httpx.TransportError:
            self.transport_errors += 1
            return None
        self.statuses[response.status_code] += 1
        return response

    def unifize_assertion(self) -> str:
        # Assertions live 600 s; a fresh one every 5 minutes of the run.
        if time.monotonic() - self.assertion_made > 300:
            self.assertion, self.assertion_made = unifize_assertion(), time.monotonic()
        return self.assertion


def body(response: httpx.Response | None, status: int = 200) -> dict[str, Any] | None:
    if response is None or response.status_code != status:
        return None
    answer: dict[str, Any] = response.json()
    return answer


UNEEQ_JWT = uneeq_request_jwt(uneeq_secret("demo"), "demo", sid="soak")
FORGED_JWT = uneeq_request_jwt("not-the-secret-of-demo-0123456789abcdef", "demo")


async def uneeq(load: Load) -> None:
    minted = body(
        await load.call(
            "POST", "/uneeq/api/v1/clients/access/tokens", content=UNEEQ_JWT, headers=UNEEQ
        )
    )
    if minted is not None:
        start = {"workspaceName": "demo", "sessionType": 0, "tokenId": minted["token"]}
        await load.call("POST", "/uneeq/api/v2/clients/start-session", json=start)
        await load.call("POST", "/uneeq/api/v2/clients/start-session", json=start)  # 401: used
    await load.call(
        "POST", "/uneeq/api/v1/clients/access/tokens", content=FORGED_JWT, headers=UNEEQ
    )


async def unifize(load: Load) -> None:
    bearer = {"Authorization": f"Bearer {load.unifize_assertion()}"}
    issued = body(await load.call("POST", "/unifize/application/token", headers=bearer))
    if issued is not None:
        access = issued["accessToken"]
        await load.call("POST", "/unifize/application/tokeninfo", json={"token": access})
        await load.call("GET", "/unifize/chatroom", headers={"Authorization": f"Bearer {access}"})
    await load.call("GET", "/unifize/chatroom", headers={"Authorization": "Bearer not-a-token"})


API_KEY = eightbyeight_api_key()


async def eightbyeight(load: Load) -> None:
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    room = body(
        await load.call("POST", "/8x8/api/v1/tokens", headers=bearer, json={"create_room": True})
    )
    if room is not None:
        await load.call(
            "GET",
            "/8x8/api/v1/call-logs",
            params={"limit": 5},
            headers={"x-token": room["auth_token"]},
        )
    await load.call("POST", "/8x8/api/v1/tokens", headers={"Authorization": "Bearer unknown-key"})


EMAIL, PASSWORD = web1on1_login_of("agent@example.org")


async def web1on1(load: Load) -> None:
    login = body(
        await load.call(
            "POST", "/web1on1/v2/auth/token", json={"email": EMAIL, "password": PASSWORD}
        ),
        201,
    )
    if login is None:
        return
    refresh = {"refreshToken": login["refreshToken"], "clientId": EMAIL}
    renewed = body(await load.call("POST", "/web1on1/v2/auth/token", json=refresh), 201)
    if renewed is not None:
        bearer = {"Authorization": f"Bearer {renewed['token']}"}
        await load.call("GET", "/web1on1/v2/contacts", params={"limit": 5}, headers=bearer)
    await load.call("POST", "/web1on1/v2/auth/token", json=refresh)  # 401: reuse


async def widget(load: Load) -> None:
    guest = body(
        await load.call(
            "POST", f"{WIDGET}/auth/guest", json={"client_key": WIDGET_KEY}, headers=ORIGIN
        )
    )
    if guest is not None:
        exchange = {"token": guest["token"], "client_key": WIDGET_KEY}
        await load.call("POST", f"{WIDGET}/auth/exchange", json=exchange, headers=ORIGIN)
        await load.call("POST", f"{WIDGET}/auth/exchange", json=exchange, headers=ORIGIN)  # 400
    await load.call("GET", f"{WIDGET}/config", params={"client_key": WIDGET_KEY}, headers=ORIGIN)
    refused = {"Origin": "https://evil.example"}
    await load.call("GET", f"{WIDGET}/config", params={"client_key": WIDGET_KEY}, headers=refused)


OVERSIZED = b" " * (64 * 1024 + 1)


async def refusals(load: Load) -> None:
    await load.call("GET", f"/uneeq/no/such/path/{load.sent}")  # 404, a path never seen before
    await load.call("POST", "/web1on1/v2/auth/token", content=OVERSIZED)  # 413
    await load.call("GET", "/_emulator/health")


FLOWS: tuple[Callable[[Load], Awaitable[None]], ...] = (
    uneeq,
    unifize,
    eightbyeight,
    web1on1,
    widget,
    refusals,
)


async def drive(load: Load, concurrency: int, on_progress: Callable[[int], None]) -> None:
    async def worker(offset: int) -> None:
        step = offset
        while not load.exhausted():
            await FLOWS[step % len(FLOWS)](load)
            step += 1
            on_progress(load.sent)

    await asyncio.gather(*(worker(offset) for offset in range(concurrency)))


async def soak(requests: int, concurrency: int, workdir: Path) -> dict[str, Any]:
    log = workdir / "server.log"
    server = EmulatorProcess(
        workdir / "soak.sqlite3", fixtures=soak_fixtures(workdir), log_path=log
    )
    server.start()
    assert server.process is not None
    pid = server.process.pid
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    samples: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            warm = Load(http, WARM_UP)
            await drive(warm, concurrency, lambda _sent: None)
            load = Load(http, requests)
            began = time.monotonic()
            every = max(requests // SAMPLES, 1)
            next_sample = 0

            def sample(sent: int) -> None:
                nonlocal next_sample
                if sent >= next_sample:
                    rss = vm_rss_kib(pid)
                    elapsed = time.monotonic() - began
                    samples.append(
                        {"requests": sent, "seconds": round(elapsed, 1), "vm_rss_kib": rss}
                    )
                    print(
                        f"{sent:>7} requests  {elapsed:7.1f} s  VmRSS {rss / 1024:6.1f} MiB",
                        flush=True,
                    )
                    next_sample += every

            sample(0)
            await drive(load, concurrency, sample)
            elapsed = time.monotonic() - began
            end_rss = vm_rss_kib(pid)
            samples.append(
                {"requests": load.sent, "seconds": round(elapsed, 1), "vm_rss_kib": end_rss}
            )
            journal = (await http.get("/_emulator/requests")).json()["requests"]
            health = (await http.get("/_emulator/health")).status_code
    finally:
        server.stop()
    database_bytes = database_size(workdir)
    problems = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if any(p in line for p in LOG_PROBLEMS)
    ]
    start_rss = samples[0]["vm_rss_kib"]
    return {
        "requests": load.sent,
        "warm_up_requests": warm.sent,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(load.sent / elapsed, 1),
        "statuses": dict(sorted(load.statuses.items())),
        "server_errors_5xx": sum(n for s, n in load.statuses.items() if s >= 500),
        "transport_errors": load.transport_errors,
        "vm_rss_kib": {
            "start": start_rss,
            "end": end_rss,
            "max": max(s["vm_rss_kib"] for s in samples),
            "growth": end_rss - start_rss,
        },
        "samples": samples,
        # The store grows with every token; SQLite's page caches fill with it, up to their size.
        "database_bytes_at_end": database_bytes,
        "journal_entries_at_end": len(journal),
        "health_at_end": health,
        "log_problems": problems[:20],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--output", type=Path, default=Path("soak-result.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="token-emulator-soak-") as workdir:
        result = asyncio.run(soak(args.requests, args.concurrency, Path(workdir)))
    rss = result["vm_rss_kib"]
    print(
        f"{result['requests']} requests in {result['seconds']} s "
        f"({result['requests_per_second']}/s); VmRSS {rss['start'] / 1024:.1f} MiB after warm-up, "
        f"{rss['end'] / 1024:.1f} MiB at the end (max {rss['max'] / 1024:.1f}); "
        f"5xx: {result['server_errors_5xx']}; log problems: {len(result['log_problems'])}"
    )
    print("statuses:", result["statuses"])
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"figures written to {args.output}")
    ok = (
        result["server_errors_5xx"] == 0
        and not result["log_problems"]
        and not result["transport_errors"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
