"""Fixtures added at run time: what the Nth addition costs beside the first, and the
server's memory before, after and once a reset dropped them.

    .venv/bin/python -m bench.added_fixtures [--additions 120] [--kib 64]

One `serve` process on a fresh database takes `--additions` documents of UneeQ
workspaces, each about `--kib` KiB of JSON (the body limit's size), one after
another; each addition is timed from the client (median of the first ten and of
the last ten, and the ratio). The server's resident memory (/proc/PID/statm) is
read before, after the additions, and after a reset. Run it on two trees
(PYTHONPATH=<tree>) for a before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from token_emulator.testing import EmulatorProcess


def document(number: int, kib: int) -> dict[str, Any]:
    """UneeQ workspaces adding up to about `kib` KiB of compact JSON."""
    entries: list[dict[str, str]] = []
    size = 0
    while size < kib * 1024 - 200:
        entry = {
            "id": f"ws-{number}-{len(entries)}",
            "secret": f"secret-{number}-{len(entries)}-" + "x" * 40,
            "region": "us",
        }
        entries.append(entry)
        size += len(json.dumps(entry, separators=(",", ":"))) + 1
    return {"workspaces": entries}


def resident_mib(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def run(additions: int, kib: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-added-") as work,
        EmulatorProcess(Path(work) / "db.sqlite3") as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        pid = server.process.pid
        for _ in range(20):
            client.get("/_emulator/health")
        before = resident_mib(pid)
        seconds = []
        for number in range(additions):
            body = {"vendor": "uneeq", "fixtures": document(number, kib)}
            started = time.perf_counter()
            answer = client.post("/_emulator/fixtures", json=body)
            seconds.append(time.perf_counter() - started)
            answer.raise_for_status()
        after = resident_mib(pid)
        client.post("/_emulator/reset").raise_for_status()
        client.get("/_emulator/health")
        reset = resident_mib(pid)
    first, last = statistics.median(seconds[:10]), statistics.median(seconds[-10:])
    return {
        "first ten, median ms": first * 1000,
        "last ten, median ms": last * 1000,
        "last / first": last / first,
        "resident MiB before": before,
        "resident MiB after the additions": after,
        "resident MiB after a reset": reset,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--additions", type=int, default=120)
    parser.add_argument("--kib", type=int, default=63)
    args = parser.parse_args()
    for name, value in run(args.additions, args.kib).items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
