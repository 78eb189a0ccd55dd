"""Two versions of the code side by side in one run, taking turns, so a change on a hot
path comes with a before/after figure.

    .venv/bin/python -m bench.compare REV [--rounds 6] [--flows 1500]
        [--sections inprocess,reset,throughput] [--seconds 5] [--resets 200]

REV (a commit, a branch, HEAD) is written out into a temporary directory and
compared with the working tree. Each round runs each section once for each
side, in a fresh interpreter whose imports come from that side's tree (its own
bench/ modules, so both sides are measured by their own code), the sides in
alternating order. Per section:

- `inprocess`: each vendor's whole flow in-process (bench/inprocess.py): CPU ms
  per flow and the median latency;
- `reset`: POST /_emulator/reset over HTTP and in-process (bench/reset.py): the
  median;
- `throughput`: each vendor's token endpoint under load from one process of
  `serve` (bench/throughput.py, wrk when there is one): the server's CPU ms per
  request and the requests a second.

Each figure is the median over the rounds; B/A is the working tree's over REV's.
On a shared machine read only ratios taken this way (bench/README.md).
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

# Run in a child whose sys.path starts with one side's tree; prints {figure: value}.
CHILDREN = {
    "inprocess": """
import json, sys
from pathlib import Path
from bench.inprocess import run
from bench.workloads import bench_fixtures
work = Path(sys.argv[1])
results = run(work, bench_fixtures(work), flows_per_vendor=int(sys.argv[2]))
figures = {}
for vendor, result in results.items():
    figures[f"{vendor}: CPU ms per flow"] = result["cpu_ms_per_flow"]
    figures[f"{vendor}: median ms"] = result["median_ms"]
print(json.dumps(figures))
""",
    "reset": """
import json, sys
from pathlib import Path
from bench.reset import run
results = run(Path(sys.argv[1]), resets=int(sys.argv[3]))
print(json.dumps({f"reset {where}: median ms": r["median_ms"] for where, r in results.items()}))
""",
    "throughput": """
import json, sys
from pathlib import Path
from bench.load import ensure_wrk
from bench.throughput import run
from bench.workloads import bench_fixtures
work = Path(sys.argv[1])
wrk, _how = ensure_wrk()
results = run(work, bench_fixtures(work), seconds=float(sys.argv[4]), warm_up=1.0,
              connections=32, wrk=wrk, node=False, process_counts=(1,))
figures = {}
for target, result in results["by_processes"]["1"].items():
    if target.startswith("bare_starlette") or not result.get("clean"):
        continue
    figures[f"{target}: server CPU ms per request"] = result["server_cpu_ms_per_request"]
    figures[f"{target}: requests per second"] = result["requests_per_second"]
print(json.dumps(figures))
""",
}


def _export(rev: str, into: Path) -> Path:
    """The tree of `rev`, written out (git archive: no worktree left registered)."""
    tree = into / "before"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _one_run(section: str, tree: Path, work: Path, arguments: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", CHILDREN[section], str(work), *arguments],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def compare(
    rev: str,
    rounds: int,
    *,
    sections: Sequence[str] = ("inprocess",),
    flows: int = 1500,
    resets: int = 200,
    seconds: float = 5.0,
) -> str:
    arguments = [str(flows), str(resets), str(seconds)]
    samples: dict[str, dict[str, list[float]]] = {"A": {}, "B": {}}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        sides = {"A": _export(rev, Path(scratch)), "B": REPO}
        for number in range(rounds):
            order = ("A", "B") if number % 2 == 0 else ("B", "A")
            for section in sections:
                for side in order:
                    work = Path(scratch) / f"{side}-{section}-{number}"
                    for figure, value in _one_run(section, sides[side], work, arguments).items():
                        samples[side].setdefault(figure, []).append(value)
    lines = [
        f"Median of {rounds} rounds (A: {rev}, B: the working tree; sections: "
        f"{', '.join(sections)}; {flows} flows per vendor, {resets} resets, "
        f"{seconds:g} s of load per token endpoint, one server process)",
        "",
        "| figure | A | B | B/A |",
        "| --- | --- | --- | --- |",
    ]
    for figure in samples["A"]:
        if figure not in samples["B"]:
            continue
        a = statistics.median(samples["A"][figure])
        b = statistics.median(samples["B"][figure])
        lines.append(f"| {figure} | {a:.4f} | {b:.4f} | {b / a:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("rev", help="the commit to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--sections",
        default="inprocess",
        help=f"comma-separated, from {', '.join(CHILDREN)} (default inprocess)",
    )
    parser.add_argument("--flows", type=int, default=1500, help="flows per vendor and run")
    parser.add_argument("--resets", type=int, default=200, help="resets per run")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="seconds of load per token endpoint"
    )
    args = parser.parse_args(argv)
    sections = [name for name in args.sections.split(",") if name]
    unknown = [name for name in sections if name not in CHILDREN]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {', '.join(CHILDREN)}")
    print(
        compare(
            args.rev,
            args.rounds,
            sections=sections,
            flows=args.flows,
            resets=args.resets,
            seconds=args.seconds,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
