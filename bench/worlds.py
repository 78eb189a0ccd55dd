"""Isolated worlds (issue 23): what a world costs to make and to serve from, and what a
test suite of fresh worlds costs beside resets and hand-written mocks.

    .venv/bin/python -m bench.worlds [--seconds 5] [--rounds 2] [--tests 300] [--only ...]

Sections (each figure a ratio taken in one run; the machine is shared):

- `create`: `POST /_emulator/worlds` with the default fixtures over HTTP (one kept-alive
  connection), median of --creations; then the first request into a world that does
  not exist yet (which makes it) beside the same request into an existing one,
  alternating, medians and their difference.
- `throughput`: each vendor's token endpoint in the default world, in a world, and in
  a world while 1,000 others exist, --rounds rounds of --seconds each taking turns;
  requests per second and the server's CPU per request, and the ratios to the default
  world's. The server's memory and the database's size (file, WAL and worlds'
  files) before and after the 1,000 worlds are made.
- `suite`: a generated pytest project of --tests tests, each one token flow and one
  clock move, written three ways: a fresh world per test (the plugin's
  `token_emulator`), one world per worker reset before each test, and respx mocks of
  the same two endpoints (what a user writes by hand instead of an emulator); with 1
  and with 2 xdist workers; the wall time of each run and its ratio to respx's.

Results go to bench/worlds-results.json (and are printed); `respx` must be installed
(`pip install -e '.[test,bench]'`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import servers, throughput
from bench.load import ensure_wrk
from bench.workloads import HttpRequest, bench_fixtures, token_requests

LIVE_WORLDS = 1000
SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


class Connection:
    """One kept-alive HTTP connection, timing each request from the client."""

    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def timed(self, request: HttpRequest) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.http.request(request.method, request.path, request.body, dict(request.headers))
        answer = self.http.getresponse()
        body = answer.read()
        return time.perf_counter() - started, answer.status, body

    def close(self) -> None:
        self.http.close()


def _create_request(body: dict[str, Any] | None = None) -> HttpRequest:
    payload = json.dumps(body or {}).encode()
    headers = (("Content-Type", "application/json"),)
    return HttpRequest("POST", "/_emulator/worlds", headers, payload, expect=201)


def in_world(request: HttpRequest, name: str) -> HttpRequest:
    return replace(request, path=f"/worlds/{name}{request.path}")


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def creation(work: Path, fixtures: Path, count: int) -> dict[str, Any]:
    token = token_requests(fixtures)["uneeq"]
    with servers.emulator(work, fixtures, name="create") as server:
        connection = Connection(server.port)
        try:
            made = []
            for _ in range(count):
                seconds, status, body = connection.timed(_create_request())
                if status != 201:
                    raise RuntimeError(f"creating a world answered {status}: {body[:200]!r}")
                made.append(seconds)
            connection.timed(_create_request({"name": "existing"}))
            connection.timed(in_world(token, "existing"))  # warm
            new, existing = [], []
            for number in range(count):
                for samples, name in ((new, f"new-{number}"), (existing, "existing")):
                    seconds, status, body = connection.timed(in_world(token, name))
                    if status != 200:
                        raise RuntimeError(f"a token request answered {status}: {body[:200]!r}")
                    samples.append(seconds)
        finally:
            connection.close()
    return {
        "create_world_median_ms": _median_ms(made),
        "create_world_p90_ms": statistics.quantiles(made, n=10)[-1] * 1000,
        "first_request_into_a_new_world_median_ms": _median_ms(new),
        "same_request_into_an_existing_world_median_ms": _median_ms(existing),
        "first_request_extra_ms": _median_ms(new) - _median_ms(existing),
        "samples": count,
    }


def _rss_mib(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _database_bytes(server: servers.Server, work: Path) -> int:
    """The server's database file, its WAL, and its worlds' files."""
    total = 0
    for path in work.glob(f"{server.name}-{server.port}.sqlite3*"):
        if path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        else:
            total += path.stat().st_size
    return total


def _server_pid(server: servers.Server) -> int:
    assert server.process is not None
    return server.process.pid


def throughput_in_worlds(
    work: Path, fixtures: Path, *, seconds: float, rounds: int, connections: int
) -> dict[str, Any]:
    """Phase one, on a fresh server: the default world and a world, taking turns. Then
    1,000 more worlds are made. Phase two: the world again, and the default world."""
    wrk, _how = ensure_wrk()
    send = throughput.generator(wrk, connections)
    requests = token_requests(fixtures)
    kinds = ("default", "world", "world_among_1000", "default_among_1000")
    figures: dict[str, dict[str, list[dict[str, Any]]]] = {
        vendor: {kind: [] for kind in kinds} for vendor in requests
    }

    def measured(server: servers.Server, phase: tuple[str, str]) -> None:
        for _round in range(rounds):
            for vendor, request in requests.items():
                for kind in phase:
                    asked = request if kind.startswith("default") else in_world(request, "measured")
                    figures[vendor][kind].append(
                        throughput.measure(
                            server, asked, send, seconds=seconds, warm_up=min(1.0, seconds)
                        )
                    )

    memory: dict[str, Any] = {}
    with servers.emulator(work, fixtures, name="worlds") as server:
        first = Connection(server.port)
        first.timed(_create_request({"name": "measured"}))
        first.close()
        measured(server, ("default", "world"))
        memory["rss_mib_before"] = _rss_mib(_server_pid(server))
        memory["database_bytes_before"] = _database_bytes(server, work)
        connection = Connection(server.port)  # the first one idled past the keep-alive
        try:
            started = time.perf_counter()
            for made in range(LIVE_WORLDS):
                connection.timed(_create_request({"name": f"live-{made}"}))
            memory["seconds_to_make_1000"] = time.perf_counter() - started
        finally:
            connection.close()
        memory["rss_mib_after_1000"] = _rss_mib(_server_pid(server))
        memory["database_bytes_after_1000"] = _database_bytes(server, work)
        measured(server, ("world_among_1000", "default_among_1000"))
    return {"by_vendor": _summarized(figures), "memory": memory, "load_generator": wrk or "python"}


def _summarized(figures: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for vendor, kinds in figures.items():
        row: dict[str, Any] = {}
        for kind, runs in kinds.items():
            clean = [
                run for run in runs if run.get("clean", True) and run.get("requests_per_second")
            ]
            if not clean:
                row[kind] = {"refused": [run.get("refused") for run in runs]}
                continue
            row[kind] = {
                "requests_per_second": statistics.median(r["requests_per_second"] for r in clean),
                "server_cpu_ms_per_request": statistics.median(
                    r["server_cpu_ms_per_request"] for r in clean
                ),
                "runs": len(clean),
            }
        base = row.get("default", {})
        for kind in ("world", "world_among_1000"):
            if "requests_per_second" in row.get(kind, {}) and "requests_per_second" in base:
                row[kind]["throughput_ratio_to_default"] = (
                    row[kind]["requests_per_second"] / base["requests_per_second"]
                )
                row[kind]["cpu_ratio_to_default"] = (
                    row[kind]["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"]
                )
        summary[vendor] = row
    return summary


# --- the generated suite ---------------------------------------------------------------

SUITE_HEADER = """
import httpx
import pytest

from token_emulator.testing import uneeq_request_jwt

SECRET = "{secret}"
TOKEN = "/uneeq/api/v1/clients/access/tokens"
START = "/uneeq/api/v2/clients/start-session"


def token_then_expiry(base, advance):
    headers = {{"workspace": "demo", "content-type": "application/jwt"}}
    answer = httpx.post(base + TOKEN, headers=headers, content=uneeq_request_jwt(SECRET, "demo"))
    assert answer.status_code == 200
    advance(301)  # past the workspace's 300 s
    body = {{"workspaceName": "demo", "sessionType": 0, "tokenId": answer.json()["token"]}}
    assert httpx.post(base + START, json=body).status_code == 401
"""

WORLD_PER_TEST = """
@pytest.mark.parametrize("number", range({tests}))
def test_flow(token_emulator, number):
    token_then_expiry(token_emulator.url, token_emulator.advance)
"""

RESET_PER_TEST = """
import os

from token_emulator.client import TokenEmulator


@pytest.fixture(scope="session")
def worker_world(token_emulator_server):
    # One world per xdist worker: the workers share one server, and a reset of a world
    # another worker uses would pull its state from under it.
    name = "worker-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    with TokenEmulator(token_emulator_server.url, world=name) as handle:
        yield handle


@pytest.fixture
def emulator(worker_world):
    worker_world.reset()
    return worker_world


@pytest.mark.parametrize("number", range({tests}))
def test_flow(emulator, number):
    token_then_expiry(emulator.url, emulator.advance)
"""

RESPX = """
import respx

BASE = "http://uneeq.test"


@pytest.mark.parametrize("number", range({tests}))
@respx.mock
def test_flow(number):
    clock = {{"now": 0.0}}
    respx.post(BASE + TOKEN).mock(return_value=httpx.Response(200, json={{"token": "t-1"}}))

    def start(request):
        return httpx.Response(401 if clock["now"] > 300 else 200, json={{}})

    respx.post(BASE + START).mock(side_effect=start)

    def advance(seconds):
        clock["now"] += seconds

    token_then_expiry(BASE, advance)
"""

SUITES = {"fresh world per test": WORLD_PER_TEST, "reset per test": RESET_PER_TEST, "respx": RESPX}


def suite(work: Path, tests: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for workers in (1, 2):
        row: dict[str, Any] = {}
        for name, body in SUITES.items():
            project = work / f"suite-{workers}-{name.replace(' ', '-')}"
            project.mkdir()
            (project / "pytest.ini").write_text("[pytest]\n")
            text = SUITE_HEADER.format(secret=SECRET) + body.format(tests=tests)
            (project / "test_suite.py").write_text(textwrap.dedent(text))
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            command += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
            command += ["-p", "xdist", "-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
            started = time.perf_counter()
            done = subprocess.run(command, cwd=project, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{name}: exit {done.returncode}\n{done.stdout[-3000:]}")
            row[name] = {"wall_seconds": seconds}
        for name in SUITES:
            row[name]["ratio_to_respx"] = row[name]["wall_seconds"] / row["respx"]["wall_seconds"]
        results[f"{workers} worker{'s' if workers > 1 else ''}"] = row
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--creations", type=int, default=200)
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="create,throughput,suite")
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).parent / "worlds-results.json"
    )
    args = parser.parse_args(argv)
    chosen = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-worlds-"))
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        fixtures = bench_fixtures(work)
        if "create" in chosen:
            results["create"] = creation(work, fixtures, args.creations)
            print(json.dumps(results["create"], indent=2), flush=True)
        if "throughput" in chosen:
            results["throughput"] = throughput_in_worlds(
                work,
                fixtures,
                seconds=args.seconds,
                rounds=args.rounds,
                connections=args.connections,
            )
            print(json.dumps(results["throughput"], indent=2), flush=True)
        if "suite" in chosen:
            results["suite"] = suite(work, args.tests)
            print(json.dumps(results["suite"], indent=2), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
