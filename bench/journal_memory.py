"""The journal's memory with bodies kept: the server's resident memory after 10,000 and
after 100,000 requests whose bodies are 60 KiB, sent one after another.

    .venv/bin/python -m bench.journal_memory [--requests 100000] [--kib 60]

The journal keeps each body's first 64 KiB and 64 MiB of them in all, dropping
the oldest entries, so its memory should stop growing once it is full: the
figure is the ratio of the last reading to the one after the first 10,000.
The requests are web1on1 password logins with a long unknown field (refused
401, journaled whole); web1on1's rate limit is off in the bench's fixtures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.workloads import bench_fixtures
from token_emulator.testing import EmulatorProcess

CHECKPOINTS = (10_000, 25_000, 50_000, 75_000, 100_000)


def rss_mib(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(requests: int, kib: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as scratch:
        work = Path(scratch)
        fixtures = bench_fixtures(work)
        body = json.dumps(
            {"email": "admin@example.org", "password": "wrong", "padding": "x" * (kib * 1024)}
        ).encode()
        with EmulatorProcess(work / "emulator.sqlite3", fixtures=fixtures) as server:
            assert server.process is not None
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            headers = {"Content-Type": "application/json"}
            readings: dict[str, float] = {"start": rss_mib(server.process.pid)}
            started = time.perf_counter()
            for number in range(1, requests + 1):
                connection.request("POST", "/web1on1/v2/auth/token", body, headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 401:
                    raise RuntimeError(f"request {number} answered {answer.status}")
                if number in CHECKPOINTS or number == requests:
                    readings[str(number)] = rss_mib(server.process.pid)
            seconds = time.perf_counter() - started
            connection.request("GET", "/_emulator/requests/count")
            kept = json.loads(connection.getresponse().read())["count"]
            connection.close()
    first = readings.get("10000", readings["start"])
    return {
        "requests": requests,
        "body_kib": kib,
        "seconds": seconds,
        "rss_mib": readings,
        "last_over_10000": readings[str(requests)] / first,
        "entries_kept": kept,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--kib", type=int, default=60)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.requests, args.kib), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
