"""Shared fixtures: the ASGI app with its lifespan running, and a real server process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from emulator.app import create_app
from emulator.settings import Settings, default_fixtures_dir
from emulator.testing import EmulatorProcess

FIXTURES = default_fixtures_dir()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the browser tests left their screenshots, and how much the fuzzer sent."""
    from tests.browser import SAVED

    for path in SAVED:
        terminalreporter.write_line(f"test artifact: {path}")
    fuzz_summary(terminalreporter)


def fuzz_summary(terminalreporter: Any) -> None:
    """Sum the example counts tests/security/test_fuzz_openapi.py records on its reports
    (also under pytest-xdist, whose workers send the reports here) and write them down."""
    import json

    from tests.browser import artifacts_dir

    runs = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == "fuzz_examples"
    ]
    if not runs:
        return
    total = sum(sum(run["examples"].values()) for run in runs)
    operations = {label for run in runs for label in run["examples"]}
    path = artifacts_dir() / "fuzz-summary.json"
    summary = {"total_examples": total, "operations": len(operations), "tests": runs}
    path.write_text(json.dumps(summary, indent=2) + "\n")
    per_test = ", ".join(f"{run['test']}: {sum(run['examples'].values())}" for run in runs)
    terminalreporter.write_line(
        f"schemathesis: {total} examples over {len(operations)} vendor operations "
        f"(seed {runs[0]['seed']}, at most {runs[0]['max_examples']} random examples per "
        f"operation and test; {per_test}); written to {path}"
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "fixtures_dir": FIXTURES,
        "database": str(tmp_path / "emulator.sqlite3"),
    }
    values.update(overrides)
    return Settings(**values)


async def in_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as c:
            yield c


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with its lifespan running, on a fresh SQLite file."""
    async for c in in_process(make_settings(tmp_path)):
        yield c


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One real `serve` process for the session; use `live` to get it reset."""
    directory = tmp_path_factory.mktemp("server")
    process = EmulatorProcess(
        directory / "emulator.sqlite3", fixtures=FIXTURES, log_path=directory / "server.log"
    )
    with process:
        yield process


@pytest.fixture
def live(server: EmulatorProcess) -> Iterator[httpx.Client]:
    """A sync HTTP client to the session's server, reset to the fixtures first."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/_emulator/reset").raise_for_status()
        yield http


async def last_request(http: httpx.AsyncClient, **filters: Any) -> dict[str, Any]:
    """The newest journal entry (matching `filters`)."""
    response = await http.get("/_emulator/requests", params={**filters, "limit": 1})
    found = response.json()["requests"]
    assert found, f"no journal entry matches {filters}"
    entry: dict[str, Any] = found[0]
    return entry
