"""Shared fixtures: the ASGI app with its lifespan running, and a real server process.

A test marked `each_database` runs twice, on a SQLite file and on PostgreSQL
(a throwaway server, tests/postgres/server.py), through the `database`
fixture that `client`, `live` and the tests' own `make_settings` take.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.postgres.server import PostgresServer, find_bin_dir, unavailable
from tests.reasons import unreadable
from token_emulator.app import create_app
from token_emulator.core.journal import Journal, JournalEntry
from token_emulator.settings import Settings, default_fixtures_dir
from token_emulator.testing import EmulatorProcess

FIXTURES = default_fixtures_dir()
IN_PROCESS_HOST = "emulator.test"
DATABASES = ("sqlite", "postgresql")
# Also selectable with --database-kind, not part of each_database's pair: a SQLite
# file through the async engine (aiosqlite), the path an explicit URL takes.
KINDS = (*DATABASES, "aiosqlite")


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


@pytest.fixture(autouse=True)
def reasons_read_as_written(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every reason an in-process app journals in any test is read by tests/reasons.py
    (the session server's, by `live` when its test ends): the test fails on one that
    shows Python's None, a bytes repr or a bare epoch number."""
    found: list[str] = []
    record = Journal.record

    def record_and_read(journal: Journal, entry: JournalEntry) -> None:
        if entry.reason:
            found.extend(unreadable(entry.reason))
        record(journal, entry)

    monkeypatch.setattr(Journal, "record", record_and_read)
    yield
    assert not found, "reasons a person would not write:\n" + "\n".join(found)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-kind",
        choices=KINDS,
        default="sqlite",
        help="the database of every test's fresh store (each_database tests run on both)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "each_database"
    ):
        metafunc.parametrize("database_kind", DATABASES, indirect=True)


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """--database-kind (sqlite), or each of DATABASES for a test marked `each_database`."""
    kind: str = getattr(request, "param", None) or request.config.getoption("database_kind")
    return kind


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own for the session (per xdist worker)."""
    reason = unavailable()
    if reason is not None:
        # CI installs the binaries (.ci/run): there a missing one is a failure.
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    with PostgresServer(bin_dir) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_schema(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the emulator's tables, empty: the template of each test's database,
    which then starts as on an empty database but without creating ~40 tables each time."""
    name = postgres.new_name()
    postgres.psql(f"CREATE DATABASE {name}")
    settings = make_settings(tmp_path_factory.mktemp("schema"), database=postgres.url(name))

    async def start_and_stop() -> None:
        app = in_process(settings)
        await anext(app)
        await app.aclose()

    # A thread of its own: no event loop of a test's is touched.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, start_and_stop()).result()
    postgres.empty_tables(name)
    return name


@pytest.fixture
def database(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Settings.database for a fresh store: a new SQLite file, or a new PostgreSQL database."""
    if database_kind == "sqlite":
        yield str(tmp_path / "emulator.sqlite3")
        return
    if database_kind == "aiosqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'emulator.sqlite3'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    with postgres.database(template=request.getfixturevalue("postgres_schema")) as url:
        yield url


def copy_of_fixtures(tmp_path: Path) -> Path:
    """The default fixtures in a directory of the test's own, to edit."""
    directory = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, directory)
    return directory


def edit_fixture(directory: Path, file_name: str, old: str, new: str) -> None:
    """Change one fixture file as a user edits it between two starts."""
    path = directory / file_name
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {file_name}"
    path.write_text(text.replace(old, new))


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "fixtures_dir": FIXTURES,
        "database": str(tmp_path / "emulator.sqlite3"),
        # The in-process clients' base URL (in_process): a name with a dot, answered
        # only when allowed, as a user allows theirs (request_path/guard.py).
        "allowed_hosts": (IN_PROCESS_HOST,),
    }
    values.update(overrides)
    return Settings(**values)


async def in_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{IN_PROCESS_HOST}"
        ) as c:
            yield c


@pytest.fixture
async def client(tmp_path: Path, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with its lifespan running, on a fresh store."""
    async for c in in_process(make_settings(tmp_path, database=database)):
        yield c


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest) -> EmulatorProcess:
    """One real `serve` process for the session, on --database-kind; `live` resets it."""
    return session_server(request, request.config.getoption("database_kind"))


def session_server(request: pytest.FixtureRequest, kind: str) -> EmulatorProcess:
    process: EmulatorProcess = request.getfixturevalue(f"{kind}_server")
    return process


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One real `serve` process on a SQLite file, for the session."""
    directory = tmp_path_factory.mktemp("server")
    process = EmulatorProcess(
        directory / "emulator.sqlite3", fixtures=FIXTURES, log_path=directory / "server.log"
    )
    with process:
        yield process


@pytest.fixture(scope="session")
def aiosqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One real `serve` process on a SQLite file through the async engine, for the session."""
    directory = tmp_path_factory.mktemp("server")
    url = f"sqlite+aiosqlite:///{directory / 'emulator.sqlite3'}"
    process = EmulatorProcess(url, fixtures=FIXTURES, log_path=directory / "server.log")
    with process:
        yield process


@pytest.fixture(scope="session")
def postgresql_server(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    """One real `serve` process on a PostgreSQL database, for the session."""
    directory = tmp_path_factory.mktemp("postgres-server")
    with postgres.database() as url:
        process = EmulatorProcess(url, fixtures=FIXTURES, log_path=directory / "server.log")
        with process:
            yield process


@pytest.fixture
def live_server(database_kind: str, request: pytest.FixtureRequest) -> EmulatorProcess:
    """The session's server on the test's kind of database (not reset: `live` resets)."""
    return session_server(request, database_kind)


@pytest.fixture
def live(live_server: EmulatorProcess) -> Iterator[httpx.Client]:
    """A sync HTTP client to the session's server, reset to the fixtures first."""
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        http.post("/_emulator/reset").raise_for_status()
        yield http
        journal = http.get("/_emulator/requests").json()["requests"]
        found = [problem for e in journal for problem in unreadable(e["reason"] or "")]
        assert not found, "reasons a person would not write:\n" + "\n".join(found)


async def last_request(http: httpx.AsyncClient, **filters: Any) -> dict[str, Any]:
    """The newest journal entry (matching `filters`)."""
    response = await http.get("/_emulator/requests", params={**filters, "limit": 1})
    found = response.json()["requests"]
    assert found, f"no journal entry matches {filters}"
    entry: dict[str, Any] = found[0]
    return entry
