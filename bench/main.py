"""`bench/run` (python -m bench): run the six benchmarks, write RESULTS.md and results.json."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench import (
    cli,
    inprocess,
    load,
    machine,
    redemptions,
    report,
    reset,
    startup,
    throughput,
    tools,
)
from bench.servers import REPO
from bench.workloads import bench_fixtures

BENCH_DIR = REPO / "bench"
SECTION_NAMES = ("startup", "reset", "inprocess", "throughput", "redemptions", "cli")


@dataclass(frozen=True)
class Plan:
    startup_runs: int = 10
    resets: int = 200
    flows: int = 1000
    seconds: float = 10.0
    warm_up: float = 1.0
    connections: int = 32
    redemptions: int = 3000
    race: int = 50
    processes: tuple[int, ...] = (1, 2)
    warm_starts: bool = True
    restart: bool = True
    cli_runs: int = 20
    cli_fresh_install: bool = True


# A handful of everything: that each benchmark runs and yields figures (tests/bench/).
QUICK = Plan(
    startup_runs=1,
    resets=3,
    flows=3,
    seconds=0.3,
    warm_up=0.0,
    connections=4,
    redemptions=10,
    race=3,
    processes=(1,),
    warm_starts=False,
    restart=False,
    cli_runs=2,
    cli_fresh_install=False,
)


@dataclass(frozen=True)
class Context:
    plan: Plan
    work: Path
    fixtures: Path
    wrk: str | None
    node: bool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument(
        "--only", help=f"comma-separated sections to run (default all: {','.join(SECTION_NAMES)})"
    )
    parser.add_argument("--quick", action="store_true", help="a handful of iterations of each")
    parser.add_argument("--output", type=Path, default=BENCH_DIR, help="where the results go")
    parser.add_argument("--no-node", action="store_true", help="leave oauth2-mock-server out")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator, not wrk"
    )
    parser.add_argument("--seconds", type=float, help="length of each load run (default 10)")
    return parser


RUNNERS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "startup": lambda c: startup.run(
        c.work / "startup",
        runs=c.plan.startup_runs,
        node=c.node,
        warm=c.plan.warm_starts,
        restart=c.plan.restart,
    ),
    "reset": lambda c: reset.run(c.work / "reset", resets=c.plan.resets),
    "inprocess": lambda c: inprocess.run(
        c.work / "inprocess", c.fixtures, flows_per_vendor=c.plan.flows
    ),
    "throughput": lambda c: throughput.run(
        c.work / "throughput",
        c.fixtures,
        seconds=c.plan.seconds,
        warm_up=c.plan.warm_up,
        connections=c.plan.connections,
        wrk=c.wrk,
        node=c.node,
        process_counts=c.plan.processes,
    ),
    "redemptions": lambda c: redemptions.run(
        c.work / "redemptions",
        c.fixtures,
        count=c.plan.redemptions,
        race=c.plan.race,
        process_counts=c.plan.processes,
        wrk=c.wrk,
    ),
    "cli": lambda c: cli.run(c.work / "cli", runs=c.plan.cli_runs, fresh=c.plan.cli_fresh_install),
}


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _load_generator(python_load: bool) -> tuple[str | None, str, str]:
    """(wrk's path or None, the generator's name, how it was chosen)."""
    python_name = "bench/load.py (Python asyncio, one process)"
    if python_load:
        return None, python_name, "the Python generator, as asked (--python-load)"
    wrk, how = load.ensure_wrk()
    if wrk is None:
        return None, python_name, f"the Python generator, because {how}"
    return (
        wrk,
        f"{load.wrk_version(wrk)} (1 thread, closed loop, Lua script per request)",
        f"wrk {how}; the redemptions' timed pass over HTTP sends each token once with wrk "
        "(a Lua script with the list of tokens), their other passes use the Python generator",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan = QUICK if args.quick else Plan()
    if args.seconds:
        plan = replace(plan, seconds=args.seconds)
    sections = args.only.split(",") if args.only else list(SECTION_NAMES)
    unknown = [name for name in sections if name not in SECTION_NAMES]
    if unknown:
        print(f"bench/run: unknown section(s) {unknown}; choose from {SECTION_NAMES}")
        return 2
    started = time.perf_counter()
    node, node_how = (False, "left out (--no-node)") if args.no_node else tools.ensure_oauth2_mock()
    _say(f"oauth2-mock-server: {node_how}")
    wrk, generator_name, generator_how = _load_generator(args.python_load)
    _say(f"load generator: {generator_name}")
    results: dict[str, Any] = {
        "machine": machine.describe(),
        "plan": asdict(plan),
        "oauth2_mock_server": node_how,
        "load_generator": generator_name,
        "load_generator_how": generator_how,
        "failed": {},
    }
    work = Path(tempfile.mkdtemp(prefix="token-emulator-bench-"))
    context = Context(plan, work, bench_fixtures(work), wrk, node)
    for name in sections:
        _say(f"{report.TITLES[name]} ...")
        section_started = time.perf_counter()
        try:
            results[name] = RUNNERS[name](context)
        except Exception as error:
            traceback.print_exc()
            results["failed"][name] = f"{type(error).__name__}: {error}"
        _say(f"{report.TITLES[name]}: {time.perf_counter() - section_started:.0f} s")
    results["load_at_end"] = machine.load_average()
    results["seconds"] = time.perf_counter() - started
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.output / "RESULTS.md").write_text(report.render(results))
    for verdict in report.verdicts(results):
        _say(f"{verdict.target}: {verdict.figure} -> {report.mark(verdict.met)}")
    if results["failed"]:
        _say(f"failed: {results['failed']}; server logs kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    _say(f"wrote {args.output / 'RESULTS.md'} in {results['seconds']:.0f} s")
    return 0
