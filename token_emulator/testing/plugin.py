"""pytest plugin: a token emulator for a test session, reset before each test.

Registered through the `pytest11` entry point `token_emulator`, so installing the
package is enough. Nothing happens until a test asks for one of the fixtures:

- `token_emulator_server` (session): a real `serve` process on a free port, with
  a database in the session's temporary directory; one per pytest-xdist worker.
- `token_emulator` (function): the server reset to its fixtures, as a
  `TokenEmulator` handle over the control plane.
- `token_emulator_app` (function, async): an `httpx.AsyncClient` bound to the
  ASGI app in-process, its lifespan running, on a fresh SQLite file.

The fixture directory is the package's default fixtures unless
`--token-emulator-fixtures DIR` or the ini option `token_emulator_fixtures` names
another.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pytest

if TYPE_CHECKING:
    from token_emulator.testing.server import EmulatorProcess

OPTION = "--token-emulator-fixtures"
INI = "token_emulator_fixtures"
# The server inherits the environment; with an admin token set there, the
# handle must present it too.
ADMIN_TOKEN_ENV = "EMULATOR_ADMIN_TOKEN"
START_ATTEMPTS = 3
# The in-process client's origin: no socket behind it, any host will do.
APP_BASE_URL = "http://token-emulator.test"


class EmulatorRefused(Exception):
    """The control plane answered a refusal; its status and message are kept."""

    def __init__(
        self, method: str, path: str, status: int, error: str, problems: list[str] | None = None
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.error = error
        self.problems = problems or []
        lines = [f"token emulator refused {method} {path}: {status} {error}"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def _parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TokenEmulator:
    """A running emulator's control plane, synchronously (httpx.Client).

    Every method raises `EmulatorRefused` with the control plane's status and
    message when the emulator refuses the call.
    """

    def __init__(self, url: str, *, admin_token: str | None = None, timeout: float = 10.0) -> None:
        from token_emulator.testing.flows import EmulatorAdminAuth

        self.url = url.rstrip("/")
        # The admin token goes to the control plane only: `http` also serves vendor calls.
        auth = EmulatorAdminAuth(admin_token) if admin_token else None
        self.http = httpx.Client(base_url=self.url, auth=auth, timeout=timeout)
        self._vendors: list[str] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> TokenEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TokenEmulator({self.url!r})"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/_emulator{path}", **kwargs)
        if response.is_success:
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            raise EmulatorRefused(
                method, path, response.status_code, body["error"], body.get("problems")
            )
        raise EmulatorRefused(method, path, response.status_code, response.text[:500])

    # Where things are.

    def vendors(self) -> list[str]:
        """The ids of the vendors this emulator serves."""
        if self._vendors is None:
            self._vendors = list(self._call("GET", "/health")["vendors"])
        return self._vendors

    def vendor_url(self, vendor_id: str) -> str:
        """The base URL a client of `vendor_id` swaps in, e.g. `http://127.0.0.1:PORT/uneeq`."""
        if vendor_id not in self.vendors():
            raise ValueError(f"unknown vendor {vendor_id!r}; known: {', '.join(self.vendors())}")
        return f"{self.url}/{vendor_id}"

    def reset(self) -> None:
        """State exactly as the fixtures describe it: real clock, no faults, empty journal."""
        self._call("POST", "/reset")

    # The clock. Each move returns the emulator's new now (UTC, aware).

    def clock(self) -> dict[str, Any]:
        """`{"now", "frozen", "offset_seconds"}` as the control plane reports it."""
        reading: dict[str, Any] = self._call("GET", "/clock")
        return reading

    def now(self) -> datetime:
        return _parse_instant(self.clock()["now"])

    def _move(self, body: dict[str, Any]) -> datetime:
        return _parse_instant(self._call("POST", "/clock", json=body)["now"])

    def advance(self, seconds: float | timedelta) -> datetime:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return self._move({"advance": seconds})

    def set_time(self, instant: str | datetime) -> datetime:
        """Set the clock to `instant`; a naive datetime or a string without offset is UTC."""
        if isinstance(instant, datetime):
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
            instant = instant.isoformat()
        return self._move({"set": instant})

    def freeze(self) -> datetime:
        return self._move({"freeze": True})

    def real_time(self) -> datetime:
        return self._move({"real": True})

    # The journal.

    def requests(
        self,
        vendor: str | None = None,
        route: str | None = None,
        status: int | str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Journal entries, newest first; `route` is `token` or `uneeq:token`, `status`
        a code (401) or a class ("4xx")."""
        filters = {"vendor": vendor, "route": route, "status": status, "limit": limit}
        params = {key: str(value) for key, value in filters.items() if value is not None}
        entries: list[dict[str, Any]] = self._call("GET", "/requests", params=params)["requests"]
        return entries

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # Faults.

    def fault(
        self,
        vendor: str,
        route: str | None = None,
        status: int | None = None,
        times: int = 1,
        delay_ms: int | None = None,
        drop: bool = False,
        method: str | None = None,
        probability: float | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Make the next `times` matching requests answer `status` (in the vendor's own
        error body), answer after `delay_ms`, or lose their connection (`drop`)."""
        given = {
            "route": route,
            "status": status,
            "delay_ms": delay_ms,
            "method": method,
            "probability": probability,
            "seed": seed,
        }
        body: dict[str, Any] = {"vendor": vendor, "times": times}
        body.update({key: value for key, value in given.items() if value is not None})
        if drop:
            body["drop"] = True
        fault: dict[str, Any] = self._call("POST", "/faults", json=body)["fault"]
        return fault

    def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        active: list[dict[str, Any]] = self._call("GET", "/faults")["faults"]
        return active

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # Vendors' data.

    def add_fixtures(self, vendor: str, fixtures: dict[str, Any]) -> dict[str, Any]:
        """Add entries (sections of the vendor's fixture file, as JSON) until the next
        reset; returns `{"vendor", "added": {section: count}}`."""
        added: dict[str, Any] = self._call(
            "POST", "/fixtures", json={"vendor": vendor, "fixtures": fixtures}
        )
        return added

    def state(self, vendor: str) -> dict[str, Any]:
        """What the vendor holds now (secrets masked), as `GET /_emulator/state/{vendor}`."""
        state: dict[str, Any] = self._call("GET", f"/state/{quote(vendor, safe='')}")
        return state


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
    try:
        health = httpx.get(f"{process.url}/_emulator/health", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    named = process.database
    if not isinstance(health, dict) or named is None:
        return False
    return str(health.get("database", "")).endswith(named)


def start_server(
    directory: Path, fixtures: Path, ports: Iterable[int] | None = None
) -> EmulatorProcess:
    """Start `serve` with its database and log in `directory`, on the first of
    `ports` (default: free ports) that it gets: between picking a free port and
    binding it, another process (another xdist worker) may take it."""
    from token_emulator.testing.server import EmulatorProcess, free_port

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
        )
        try:
            process.start()
        except RuntimeError as error:
            output = _log_since(log_path, offset)
            problem = f"{error}\n{output}"
            if "address already in use" not in output.lower():
                break
            continue
        if _serves_our_database(process):
            return process
        # Health answered, but for the emulator that holds the port.
        process.stop()
        problem = f"port {port} answered for another emulator"
    raise RuntimeError(f"token emulator did not start (log: {log_path}): {problem.strip()}")


@pytest.fixture(scope="session")
def token_emulator_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    """A real emulator process for the session (one per xdist worker: each worker
    has its own temporary directory and port); stopped at the end of the session.
    Its `url`, `port`, `database` and `log_path` say where it is."""
    directory = tmp_path_factory.mktemp("token-emulator")
    process = start_server(directory, fixtures_dir(request.config))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def token_emulator(token_emulator_server: EmulatorProcess) -> Iterator[TokenEmulator]:
    """The session's emulator reset to its fixtures, as a `TokenEmulator` handle."""
    handle = TokenEmulator(token_emulator_server.url, admin_token=os.environ.get(ADMIN_TOKEN_ENV))
    with handle:
        handle.reset()
        yield handle


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
