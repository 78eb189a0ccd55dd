"""1. Start to healthy: from process start to the first 200 on the health path.

The kinds take turns within each round (emulator, bare Starlette,
oauth2-mock-server...), so a busy moment on the shared machine falls on all
of them alike. Each kind starts once untimed first (the page cache warm, as
on a developer's machine after the first run). The emulator starts on a fresh
database each time, as the pytest plugin's session server does; a restart on
an existing database is timed too.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import servers
from bench.stats import summary_ms
from token_emulator.settings import default_fixtures_dir

Starter = Callable[[Path], servers.Server]


def _kinds(node: bool) -> dict[str, tuple[Starter, str]]:
    fixtures = default_fixtures_dir()
    kinds: dict[str, tuple[Starter, str]] = {
        "emulator": (
            lambda work: servers.emulator(work, fixtures),
            "token-emulator serve (console script), default fixtures, a new database file",
        ),
        "bare_starlette": (
            lambda work: servers.reference(work),
            "python -m bench.reference_app, serve's uvicorn options",
        ),
    }
    if node:
        kinds["oauth2_mock_npx"] = (
            lambda work: servers.oauth2_mock(work, through_npx=True),
            "npx --no-install oauth2-mock-server (bench/node), health on "
            f"{servers.OAUTH2_MOCK_HEALTH}",
        )
        kinds["oauth2_mock_node"] = (
            lambda work: servers.oauth2_mock(work, through_npx=False),
            "node .../oauth2-mock-server.mjs directly (npx's own start-up left out)",
        )
    return kinds


def _restart_timer(work: Path) -> Callable[[], float]:
    """The emulator on a database a previous start created: a restart."""
    first = servers.emulator(work / "restart", default_fixtures_dir(), name="restart")
    with first:
        pass
    database = next((work / "restart").glob("*.sqlite3"))

    def timed() -> float:
        server = servers.emulator(work / "restart", default_fixtures_dir(), name="restart")
        server.command[server.command.index("--database") + 1] = str(database)
        try:
            return server.start_timed()
        finally:
            server.stop()

    return timed


def run(
    work: Path, *, runs: int, node: bool, warm: bool = True, restart: bool = True
) -> dict[str, Any]:
    kinds = _kinds(node)
    timers: dict[str, Callable[[], float]] = {}
    for name, (starter, _how) in kinds.items():

        def timed(starter: Starter = starter, name: str = name) -> float:
            server = starter(work / name)
            try:
                return server.start_timed()
            finally:
                server.stop()

        timers[name] = timed
    if restart:
        timers["emulator_restart"] = _restart_timer(work)
    samples: dict[str, list[float]] = {name: [] for name in timers}
    if warm:
        for timed in timers.values():
            timed()  # untimed: warms the page cache
    for _round in range(runs):
        for name, timed in timers.items():
            samples[name].append(timed())
    shutil.rmtree(work, ignore_errors=True)
    how = {name: how for name, (_starter, how) in kinds.items()}
    how["emulator_restart"] = "token-emulator serve on the database file of an earlier start"
    return {
        name: {**summary_ms(values), "how": how[name], "samples_ms": [v * 1000 for v in values]}
        for name, values in samples.items()
    }
