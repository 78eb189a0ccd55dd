"""3. In-process flow latency: each vendor's whole token flow through the ASGI app.

No sockets and no HTTP client: bench/asgi.py calls the app, its lifespan
started once. One flow at a time, each timed on its own, after untimed
warm-up flows. The same caller against the bare reference app's JSON
endpoint gives the floor: what the caller and Starlette cost on their own.
Logging is not set up in this process, so the journal's per-request log
line is filtered out by level (`serve` writes it).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.asgi import AsgiCaller, running
from bench.reference_app import create_reference_app
from bench.stats import summary_ms
from bench.workloads import BARE_REQUEST, Flow, FlowFailed, flow_steps, flows
from token_emulator.app import create_app
from token_emulator.settings import Settings

WARM_UP = 20


async def _time_flow(caller: AsgiCaller, flow: Flow, count: int) -> dict[str, Any]:
    """Wall-clock samples, one per flow, and the process's CPU time per flow over them
    (every thread's: aiosqlite works in its own), which other sessions' load moves less."""
    for _ in range(min(WARM_UP, count)):
        await flow(caller)
    samples = []
    cpu_before = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        await flow(caller)
        samples.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_before
    return {**summary_ms(samples), "cpu_ms_per_flow": cpu / count * 1000}


async def _bare(caller: AsgiCaller) -> None:
    status, body = await BARE_REQUEST.send(caller)
    if status != 200:
        raise FlowFailed(f"the reference app answered {status}: {body[:200]!r}")


async def _run(work: Path, fixtures: Path, count: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with running(create_reference_app()) as caller:
        results["floor_bare_starlette"] = {
            **await _time_flow(caller, _bare, count),
            "how": "the same caller, POST /json of bench/reference_app.py",
        }
    settings = Settings(fixtures_dir=fixtures, database=str(work / "in-process.sqlite3"))
    async with running(create_app(settings)) as caller:
        for vendor, flow in flows(fixtures).items():
            how = flow_steps()[vendor]
            results[vendor] = {**await _time_flow(caller, flow, count), "how": how}
    return results


def run(work: Path, fixtures: Path, *, flows_per_vendor: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_run(work, fixtures, flows_per_vendor))
