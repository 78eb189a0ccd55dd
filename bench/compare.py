"""Two versions of the code side by side in one run: the in-process flows of each,
taking turns, so a change on a hot path comes with a before/after figure.

    .venv/bin/python -m bench.compare REV [--rounds 6] [--flows 1500]

REV (a commit, a branch, HEAD) is checked out into a temporary directory and
compared with the working tree. Each round runs bench/inprocess.py once for each
side, in a fresh interpreter whose imports come from that side's tree, the two
in alternating order; each vendor's CPU time per flow is the median over the
rounds, and B/A is the working tree's over REV's. On a shared machine read
only ratios taken this way (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs in the child, whose sys.path starts with one side's tree.
CHILD = """
import json, sys
from pathlib import Path
from bench.inprocess import run
from bench.workloads import bench_fixtures
work = Path(sys.argv[1])
results = run(work, bench_fixtures(work), flows_per_vendor=int(sys.argv[2]))
print(json.dumps({k: v["cpu_ms_per_flow"] for k, v in results.items()}))
"""


def _export(rev: str, into: Path) -> Path:
    """The tree of `rev`, written out (git archive: no worktree left registered)."""
    tree = into / "before"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _one_run(tree: Path, work: Path, flows: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(work), str(flows)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def compare(rev: str, rounds: int, flows: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        before = _export(rev, Path(scratch))
        sides = {"A": before, "B": REPO}
        samples: dict[str, dict[str, list[float]]] = {"A": {}, "B": {}}
        for number in range(rounds):
            order = ("A", "B") if number % 2 == 0 else ("B", "A")
            for side in order:
                work = Path(scratch) / f"{side}-{number}"
                for vendor, cpu in _one_run(sides[side], work, flows).items():
                    samples[side].setdefault(vendor, []).append(cpu)
    lines = [
        f"In-process flows, CPU ms per flow, median of {rounds} rounds of {flows} "
        f"(A: {rev}, B: the working tree)",
        "",
        "| flow | A | B | B/A |",
        "| --- | --- | --- | --- |",
    ]
    for vendor in samples["A"]:
        a = statistics.median(samples["A"][vendor])
        b = statistics.median(samples["B"][vendor])
        lines.append(f"| {vendor} | {a:.4f} | {b:.4f} | {b / a:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("rev", help="the commit to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--flows", type=int, default=1500, help="flows per vendor and run")
    args = parser.parse_args(argv)
    print(compare(args.rev, args.rounds, args.flows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
