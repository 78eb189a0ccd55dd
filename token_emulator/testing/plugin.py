"""pytest plugin: one token emulator for a test run, and a world of its own for each test.

Registered through the `pytest11` entry point `token_emulator`, so installing the
package is enough. Nothing happens until a test asks for one of the fixtures:

- `token_emulator_server` (session): a real `serve` process on a free port, with
  a database in the run's temporary directory. Under pytest-xdist every worker
  shares one (shared_server.py). With `--token-emulator-url URL` (or the ini
  option `token_emulator_url`, or TOKEN_EMULATOR_URL) the emulator already
  running there instead: a compose service in CI. With `--token-emulator-tls`
  (ini `token_emulator_tls`) it serves HTTPS, and its `ca_file` names the local
  authority to trust (an https:// URL given is trusted through EMULATOR_CA_FILE).
- `token_emulator` (function): a fresh world of that server, seeded from its
  fixtures and deleted after the test, as a `TokenEmulator` handle on it: its
  `vendor_url("uneeq")` is the world's, its reset, clock and faults are the
  world's alone, so no test sees another's state or waits on its reset.
- `token_emulator_app` (function, async): an `httpx.AsyncClient` bound to the
  ASGI app in-process, its lifespan running, on a fresh SQLite file.

The fixture directory is the package's default fixtures unless
`--token-emulator-fixtures DIR` or the ini option `token_emulator_fixtures` names
another (an emulator given by URL serves its own).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

# The handle the `token_emulator` fixture gives, and its refusal: the control-plane client.
from token_emulator.client import EmulatorRefused, TokenEmulator

if TYPE_CHECKING:
    from token_emulator.testing.server import EmulatorProcess
    from token_emulator.testing.shared_server import RunningEmulator

__all__ = ["EmulatorRefused", "TokenEmulator", "in_process_client", "start_server"]

OPTION = "--token-emulator-fixtures"
INI = "token_emulator_fixtures"
URL_OPTION = "--token-emulator-url"
URL_INI = "token_emulator_url"
URL_ENV = "TOKEN_EMULATOR_URL"
TLS_OPTION = "--token-emulator-tls"
TLS_INI = "token_emulator_tls"
# The authority an emulator given by an https:// URL is trusted through (as the QA
# commands read it); one the run starts with TLS is trusted through its own.
CA_FILE_ENV = "EMULATOR_CA_FILE"
# The server inherits the environment; with an admin token set there, the
# handle must present it too.
ADMIN_TOKEN_ENV = "EMULATOR_ADMIN_TOKEN"
START_ATTEMPTS = 3
# The in-process client's origin: no socket behind it, any host will do.
APP_BASE_URL = "http://token-emulator.test"


# Options.


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("token-emulator", "token emulator (token_emulator.testing.plugin)")
    group.addoption(
        OPTION,
        dest="token_emulator_fixtures",
        metavar="DIR",
        default=None,
        help=f"fixture directory for the token emulator fixtures (default: ini {INI}, "
        "else the package's default fixtures)",
    )
    parser.addini(
        INI,
        "fixture directory for the token emulator fixtures, relative to the ini file",
        default="",
    )
    group.addoption(
        URL_OPTION,
        dest="token_emulator_url",
        metavar="URL",
        default=None,
        help=f"use the token emulator running at URL instead of starting one; each test "
        f"still gets a world of its own there (default: ini {URL_INI}, else env {URL_ENV})",
    )
    parser.addini(URL_INI, "URL of a running token emulator to use", default="")
    group.addoption(
        TLS_OPTION,
        dest="token_emulator_tls",
        action="store_true",
        default=None,
        help=f"start the token emulator with `serve --tls`: HTTPS, its handles trusting "
        f"its local authority, whose file token_emulator_server.ca_file names (default: "
        f"ini {TLS_INI})",
    )
    parser.addini(TLS_INI, "start the token emulator serving HTTPS", type="bool", default=False)


def wants_tls(config: pytest.Config) -> bool:
    given = config.getoption("token_emulator_tls")
    return bool(given) if given is not None else bool(config.getini(TLS_INI))


def given_url(config: pytest.Config) -> str | None:
    """The running emulator the run is pointed at: the option, the ini, the environment."""
    given = (
        config.getoption("token_emulator_url")
        or str(config.getini(URL_INI)).strip()
        or os.environ.get(URL_ENV, "").strip()
    )
    return given.rstrip("/") or None


def fixtures_dir(config: pytest.Config) -> Path:
    """The option first (relative to where pytest was started), then the ini option
    (relative to the ini file), then the package's default fixtures."""
    from token_emulator.settings import default_fixtures_dir

    given = config.getoption("token_emulator_fixtures")
    if given:
        chosen = config.invocation_params.dir / given
    elif ini := str(config.getini(INI)).strip():
        chosen = (config.inipath.parent if config.inipath else config.rootpath) / ini
    else:
        return default_fixtures_dir()
    if not chosen.is_dir():
        pytest.fail(f"token emulator fixtures: {chosen} is not a directory", pytrace=False)
    return chosen.resolve()


# The real server.


def _log_since(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _serves_our_database(process: EmulatorProcess) -> bool:
    """Whether the emulator answering on the process's port is this process."""
    if process.process is None or process.process.poll() is not None:
        return False
    from token_emulator.testing.shared_server import verify_for

    try:
        health = httpx.get(
            f"{process.url}/_emulator/health", timeout=5, verify=verify_for(process.ca_file)
        ).json()
    except (httpx.HTTPError, ValueError):
        return False
    named = process.database
    if not isinstance(health, dict) or named is None:
        return False
    return str(health.get("database", "")).endswith(named)


def start_server(
    directory: Path, fixtures: Path, ports: Iterable[int] | None = None, *, tls: bool = False
) -> EmulatorProcess:
    """Start `serve` with its database and log in `directory`, on the first of
    `ports` (default: free ports) that it gets: between picking a free port and
    binding it, another process (another xdist worker) may take it. `tls`: HTTPS,
    with the local authority beside the database (its `ca_file`)."""
    from token_emulator.testing.server import EmulatorProcess, ServerFailed, free_port

    log_path = directory / "server.log"
    candidates = iter(ports) if ports is not None else (free_port() for _ in itertools.count())
    problem = ""
    for port in itertools.islice(candidates, START_ATTEMPTS):
        offset = log_path.stat().st_size if log_path.exists() else 0
        process = EmulatorProcess(
            directory / "emulator.sqlite3",
            fixtures=fixtures,
            port=port,
            log_path=log_path,
            extra_args=("--host", "127.0.0.1"),
            tls=tls,
        )
        try:
            process.start()
        except ServerFailed as error:
            problem = str(error)  # with the end of the log
            if "address already in use" not in _log_since(log_path, offset).lower():
                break
            continue
        if _serves_our_database(process):
            return process
        # Health answered, but for the emulator that holds the port.
        process.stop()
        problem = f"port {port} answered for another emulator"
    raise RuntimeError(f"token emulator did not start (log: {log_path}): {problem.strip()}")


def _reached(url: str) -> RunningEmulator:
    from token_emulator.client import EmulatorUnreachable
    from token_emulator.testing.shared_server import RunningEmulator
    from token_emulator.trust import UntrustedFile, trusting

    ca_file = os.environ.get(CA_FILE_ENV) or None
    trust = None
    if ca_file is not None:
        try:
            trust = trusting(ca_file, CA_FILE_ENV)  # read once, here, for one line if wrong
        except UntrustedFile as error:
            pytest.fail(f"token emulator at {url} ({URL_OPTION}): {error}", pytrace=False)
    try:
        with TokenEmulator(
            url, admin_token=os.environ.get(ADMIN_TOKEN_ENV), ca_file=trust
        ) as handle:
            handle.health()
    except (EmulatorUnreachable, EmulatorRefused) as error:
        pytest.fail(f"token emulator at {url} ({URL_OPTION}): {error}", pytrace=False)
    return RunningEmulator(url=url, port=httpx.URL(url).port, ca_file=ca_file)


@pytest.fixture(scope="session")
def token_emulator_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningEmulator]:
    """The run's emulator: where it is (`url`, and for one this run started its `port`,
    `database`, `log_path` and `pid`). Started on first use and stopped at the end of
    the run; under pytest-xdist one for all workers, stopped after the last."""
    from token_emulator.testing.shared_server import shared_server

    if (url := given_url(request.config)) is not None:
        yield _reached(url)
        return
    fixtures = fixtures_dir(request.config)
    tls = wants_tls(request.config)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Every worker's base temporary directory is in the run's, which they share.
        directory = tmp_path_factory.getbasetemp().parent / "token-emulator"
        start = lambda where: _started_as(start_server(where, fixtures, tls=tls))  # noqa: E731
        with shared_server(directory, start) as server:
            yield server
        return
    directory = tmp_path_factory.mktemp("token-emulator")
    process = start_server(directory, fixtures, tls=tls)
    try:
        yield _started_as(process)
    finally:
        process.stop()


def _started_as(process: EmulatorProcess) -> RunningEmulator:
    from token_emulator.testing.shared_server import RunningEmulator

    assert process.process is not None
    return RunningEmulator(
        url=process.url,
        port=process.port,
        database=process.database,
        log_path=process.log_path,
        pid=process.process.pid,
        ca_file=str(process.ca_file) if process.ca_file is not None else None,
    )


def world_name_for(node_name: str) -> str:
    """A world name that says which test it is (`test-token-expires-3f9a1c2e`)."""
    slug = re.sub(r"[^a-z0-9]+", "-", node_name.lower()).strip("-")[:40].strip("-")
    return f"{slug or 'test'}-{secrets.token_hex(4)}"


@pytest.fixture
def token_emulator(
    request: pytest.FixtureRequest, token_emulator_server: RunningEmulator
) -> Iterator[TokenEmulator]:
    """A fresh world of the run's emulator, seeded from its fixtures, as a `TokenEmulator`
    handle on it; deleted after the test."""
    admin_token = os.environ.get(ADMIN_TOKEN_ENV)
    with TokenEmulator(
        token_emulator_server.url, admin_token=admin_token, ca_file=token_emulator_server.ca_file
    ) as server:
        name = server.create_world(world_name_for(request.node.name))["name"]
        try:
            with server.in_world(name) as handle:
                yield handle
        finally:
            with contextlib.suppress(EmulatorRefused):
                server.delete_world(name)


# The app in-process.


def _asyncio_only() -> None:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pytest.fail(
            "token_emulator_app runs on asyncio only (the store groups its writes with asyncio); "
            'give your tests an `anyio_backend` fixture returning "asyncio"',
            pytrace=False,
        )


@contextlib.asynccontextmanager
async def in_process_client(
    database: str | Path, fixtures: str | Path | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app with its lifespan running on `database` (a SQLite file), seeded
    from `fixtures` (default: the package's), behind an `httpx.AsyncClient`.

    `token_emulator_app` is this on a fresh file; it is public for suites whose
    async plugin needs its own fixture decorator (pytest-asyncio's strict mode)."""
    try:
        from asgi_lifespan import LifespanManager
    except ImportError:
        raise RuntimeError(
            "the in-process emulator needs asgi-lifespan: pip install 'token-emulator[pytest]'"
        ) from None
    from token_emulator.app import create_app
    from token_emulator.settings import Settings, default_fixtures_dir

    settings = Settings(
        fixtures_dir=Path(fixtures) if fixtures is not None else default_fixtures_dir(),
        database=str(database),
        allowed_hosts=(urlsplit(APP_BASE_URL).netloc,),  # the client's own base URL
    )
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=APP_BASE_URL) as client:
            yield client


@pytest.fixture
async def token_emulator_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An `httpx.AsyncClient` bound to the ASGI app in-process, its lifespan running,
    on a fresh SQLite file (no socket, no process; the test's own event loop).

    An async fixture: mark the test `@pytest.mark.anyio` (anyio's pytest plugin,
    installed with Starlette), or see the README for pytest-asyncio."""
    _asyncio_only()
    async with in_process_client(
        tmp_path / "token-emulator.sqlite3", fixtures_dir(request.config)
    ) as client:
        yield client
