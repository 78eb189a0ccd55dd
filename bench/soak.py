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
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workloads import bench_fixtures  # noqa: E402
from token_emulator.core.calls import Call  # noqa: E402
from token_emulator.core.vendor_client import VendorClient  # noqa: E402
from token_emulator.testing import EmulatorProcess  # noqa: E402
from token_emulator.vendors import all_clients  # noqa: E402

WARM_UP = 5_000
SAMPLES = 10
LOG_PROBLEMS = ("database is locked", "Traceback", "Exception in ASGI application")
# What a client signs is valid for minutes (a Unifize assertion: 600 s): signed afresh
# this often.
RESIGN_SECONDS = 300
OVERSIZED = b" " * (64 * 1024 + 1)


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def database_size(workdir: Path) -> int:
    """The database with its WAL, in bytes."""
    return sum(f.stat().st_size for f in workdir.glob("soak.sqlite3*"))


class Load:
    """Counts every request and its status; stops the flows once `budget` are sent."""

    def __init__(self, http: httpx.AsyncClient, budget: int, fixtures: Path) -> None:
        self.http = http
        self.budget = budget
        self.fixtures = fixtures
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0
        self._calls: dict[str, Call] = {}
        self._signed_at = -float(RESIGN_SECONDS)

    def exhausted(self) -> bool:
        return self.sent >= self.budget

    async def send(self, call: Call) -> httpx.Response | None:
        self.sent += 1
        try:
            response = await self.http.request(call.method, call.path, **call.send_arguments())
        except httpx.TransportError:
            self.transport_errors += 1
            return None
        self.statuses[response.status_code] += 1
        return response

    def token_call(self, client: VendorClient) -> Call | None:
        """The vendor's token request, as its client builds it (signed afresh now and then)."""
        if client.token_call is None:
            return None
        if time.monotonic() - self._signed_at > RESIGN_SECONDS:
            self._calls = {
                c.id: c.token_call(fixtures=self.fixtures) for c in all_clients() if c.token_call
            }
            self._signed_at = time.monotonic()
        return self._calls[client.id]


def answer_of(response: httpx.Response | None, call: Call) -> dict[str, Any] | None:
    if response is None or response.status_code not in call.expect:
        return None
    answer: dict[str, Any] = response.json()
    return answer


def vendor_flow(client: VendorClient) -> Callable[[Load], Awaitable[None]]:
    """The vendor's token flow as its client declares it, what its client sends next
    twice (a single-use token's second redemption is refused), and refusals: a token
    request with its credentials dropped, a body over the limit, a path never seen."""

    async def flow(load: Load) -> None:
        call = load.token_call(client)
        if call is None:
            return
        answer = answer_of(await load.send(call), call)
        if answer is not None and client.follow_up is not None:
            follow_up = client.follow_up(answer, call)
            await load.send(follow_up)
            await load.send(follow_up)  # again: refused where the token was single-use
        await load.send(replace(call, headers={}, json=None, content=b"not what a client sends"))
        await load.send(replace(call, json=None, content=OVERSIZED))  # 413
        await _get(load, f"/{client.id}/no/such/path/{load.sent}")  # 404, never seen before

    return flow


async def _get(load: Load, path: str) -> None:
    await load.send(Call("soak", "GET", path))


FLOWS: tuple[Callable[[Load], Awaitable[None]], ...] = tuple(
    vendor_flow(client) for client in all_clients()
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
    fixtures = bench_fixtures(workdir)
    server = EmulatorProcess(workdir / "soak.sqlite3", fixtures=fixtures, log_path=log)
    server.start()
    assert server.process is not None
    pid = server.process.pid
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    samples: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            warm = Load(http, WARM_UP, fixtures)
            await drive(warm, concurrency, lambda _sent: None)
            load = Load(http, requests, fixtures)
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
            await http.get("/_emulator/health")
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
