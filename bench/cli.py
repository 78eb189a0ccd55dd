"""6. The command line's own cost: `token-emulator --help`, and `token-emulator clock`
against a running server, each the median of N runs, beside `python -c pass` run in
turn with them (the interpreter's own start); the difference is the command's cost.

Measured with two installs, each its own interpreter and console script:

- `fresh`: a new venv with the package from this checkout and its dependencies
  only, as `pip install token-emulator` gives a user;
- `this venv`: the interpreter running the benchmarks. A development venv holds
  the test extras too, and some change what a library imports: httpx imports its
  command line's click and rich when they are installed, httpcore imports trio
  when it is (selenium brings it), which a user's install does not have.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

from bench import servers
from token_emulator.settings import default_fixtures_dir

TARGET_MS = 150


def _once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


def _fresh_install(work: Path) -> Path:
    """A venv with the package from this checkout and its dependencies only."""
    target = work / "fresh-venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(servers.REPO)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return python


def _measure(python: Path, url: str, runs: int) -> dict[str, Any]:
    script = str(python.parent / "token-emulator")
    commands = {
        "python -c pass": [str(python), "-c", "pass"],
        "token-emulator --help": [script, "--help"],
        "token-emulator clock": [script, "clock", "--url", url],
    }
    # In turn, run by run, so a busy moment of the shared machine falls on all three.
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_once(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["python -c pass"]
    return {
        "python": str(python),
        "runs": runs,
        "median_ms": medians,
        "own_ms": {name: medians[name] - base for name in commands if name != "python -c pass"},
    }


def run(work: Path, *, runs: int, fresh: bool = True) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    installs = {"this venv": Path(sys.executable)}
    if fresh:
        installs = {"fresh": _fresh_install(work), **installs}
    with servers.emulator(work, default_fixtures_dir(), name="cli") as server:
        measured = {name: _measure(python, server.url, runs) for name, python in installs.items()}
    return {"target_ms": TARGET_MS, "installs": measured}
