"""Instructions per request under valgrind's callgrind: a figure a shared machine's load
does not move, for comparing two versions of the code.

    python -m bench.instructions uneeq          # or another vendor's id, or redeem

Runs the in-process workload once plainly (so that the bytecode is written),
then twice under `valgrind --tool=callgrind` (K1 and K2 requests, 32 at a time
through bench/asgi.py, after 20 untimed ones) and divides the difference of the
two instruction counts by K2 - K1, so start-up and import cost cancel out.
Instructions, not time: a system call counts as the few instructions that make
it, so a change that saves system calls shows in `bench/run`'s CPU columns, not
here. Needs valgrind (Debian: valgrind); takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import workloads
from bench.asgi import running
from token_emulator.app import create_app
from token_emulator.settings import Settings

KINDS = (*workloads.vendor_ids(), "redeem")
CONCURRENCY = 32
COLLECTED = re.compile(r"Collected : (\d+)")
WARM_UP = 20
# Tokens minted for a redemption run, whatever its count (so that K2 - K1 cancels them).
MINTED = 5000


async def workload(kind: str, count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    try:
        fixtures = workloads.bench_fixtures(work)
        requests = workloads.token_requests(fixtures)
        settings = Settings(fixtures_dir=fixtures, database=str(work / "instructions.sqlite3"))
        async with running(create_app(settings)) as caller:
            if kind == "redeem":
                # As many tokens minted whatever the count, so the difference is redemptions only.
                redeeming = workloads.redeeming()
                tokens = []
                for _ in range(MINTED):
                    _status, body = await requests[redeeming.id].send(caller)
                    tokens.append(json.loads(body)[redeeming.token_field])
                queue = iter(tokens)

                async def one() -> None:
                    redeem = workloads.redeem_request(redeeming, next(queue))
                    status, body = await redeem.send(caller)
                    assert status == 200, body
            else:
                request = requests[kind]

                async def one() -> None:
                    status, body = await request.send(caller)
                    assert status == request.expect, body

            for _ in range(WARM_UP):
                await one()
            left = count

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    await one()

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _instructions(kind: str, count: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, "-m", "bench.instructions", "--run", kind, str(count)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed ({done.returncode}): {done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("counts", nargs="*", type=int, default=[100, 400], help="K1 K2")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kind == "redeem" and max(args.counts) + WARM_UP > MINTED:
        parser.error(f"redeem counts must stay within {MINTED - WARM_UP} (tokens minted)")
    if args.run:
        asyncio.run(workload(args.kind, args.counts[0]))
        return
    if len(args.counts) != 2 or not 0 <= args.counts[0] < args.counts[1]:
        parser.error("give two counts K1 < K2 (default 100 400)")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    # One plain run first: in a fresh checkout it writes the bytecode both counted runs
    # then read, so that neither pays for compiling and the start-up cancels out.
    warm_up = [sys.executable, "-m", "bench.instructions", "--run", args.kind, "1"]
    subprocess.run(warm_up, check=True, stdout=subprocess.DEVNULL)
    low, high = args.counts
    per_request = (_instructions(args.kind, high) - _instructions(args.kind, low)) / (high - low)
    print(f"{args.kind}: {per_request:,.0f} instructions per request ({low} and {high} requests)")


if __name__ == "__main__":
    main()
