"""A throwaway PostgreSQL server for the tests, from Debian's `postgresql` binaries.

initdb into a fresh temporary directory, `postgres` on a free port of
127.0.0.1 (its unix socket in that directory, so no system cluster is touched
or needed), one database per test, all of it removed at the end. Debian's
postgres refuses to run as root, so as root the server runs as the `postgres`
user the package creates.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from token_emulator.testing.server import free_port

# Where Debian installs each major version; TEST_POSTGRES_BIN names another directory.
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
NEEDED = ("initdb", "postgres", "psql", "pg_isready")
SUPERUSER = "postgres"
START_TIMEOUT = 30.0
# A test server: nothing it holds needs to survive a crash, so skip every fsync.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "jit": "off",
}


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL binary directory holding everything we run, or None."""
    if chosen := os.environ.get("TEST_POSTGRES_BIN"):
        candidates = [Path(chosen)]
    else:
        found = Path("/").glob(DEBIAN_BIN_DIRS.lstrip("/"))
        candidates = sorted(found, key=lambda p: _major(p.parent.name), reverse=True)
    for candidate in candidates:
        if all(os.access(candidate / name, os.X_OK) for name in NEEDED):
            return candidate
    return None


def _major(version: str) -> int:
    return int(version) if version.isdigit() else -1


def unavailable() -> str | None:
    """Why no test server can be started here, or None."""
    if find_bin_dir() is None:
        return (
            f"PostgreSQL binaries not found ({', '.join(NEEDED)} in {DEBIAN_BIN_DIRS}; "
            "Debian: apt-get install postgresql; TEST_POSTGRES_BIN names another directory)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root and there is no user {SUPERUSER!r} to run postgres as"
    return None


class PostgresServer:
    """One `postgres` process in its own temporary directory; a context manager."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="emulator-postgres-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        # As root, the server's files and process belong to an unprivileged user.
        self.user = SUPERUSER if os.geteuid() == 0 else None

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str) -> str:
        """The emulator's `--database` for one of this server's databases."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = self.root / "data"
        self._run_as_owner(
            self.bin_dir / "initdb",
            *("-D", str(data), "-U", SUPERUSER, "--auth=trust", "--no-sync"),
            # Byte order for text, whatever the machine's locale: the same on every host.
            *("--encoding=UTF8", "--locale=C"),
        )
        for _attempt in range(3):
            self.port = free_port()  # another process may take it first: then try again
            if self._start_postgres(data):
                return self
        raise RuntimeError(f"postgres did not start; its log:\n{self._log_tail()}")

    def _start_postgres(self, data: Path) -> bool:
        settings = {
            **FAST_SETTINGS,
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
        }
        args = [f"--{name}={value}" for name, value in settings.items()]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server writes it until stopped
        self.process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=self.user,
            group=self.user,
            cwd=self.root,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement as the superuser (on the maintenance database); its output."""
        done = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database),
                *("-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    @contextlib.contextmanager
    def database(self, owner: str | None = None, template: str | None = None) -> Iterator[str]:
        """A new database for one test, empty or a copy of `template` (owned by `owner`,
        a role made with `role`), the superuser's URL to it; dropped afterwards."""
        name = self.new_name()
        options = f' OWNER "{owner}"' if owner else ""
        options += f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name}{options}")
        try:
            yield self.url(name)
        finally:
            # FORCE: a replica killed mid-test may leave connections behind.
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def new_name(self) -> str:
        return f"emulator_{os.getpid()}_{next(self._names)}"

    def empty_tables(self, database: str) -> None:
        """Every table of `database` emptied, its ids counting from 1 again, but the
        schema version the tables were made with (emulator_schema)."""
        self.psql(
            "DO $$ BEGIN EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident(tablename), ', ')"
            " || ' RESTART IDENTITY' FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'emulator_schema'); END $$",
            database,
        )

    def role(self, name: str, password: str) -> None:
        """A login role, made once (the server trusts every local login: the password
        is there for a URL that carries one)."""
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'"):
            self.psql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT is postgres's "fast" shutdown: it does not wait for clients to leave.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _run_as_owner(self, program: Path, *args: str) -> None:
        done = subprocess.run(
            [str(program), *args],
            capture_output=True,
            text=True,
            user=self.user,
            group=self.user,
            cwd=self.root,
            check=False,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program.name} failed: {done.stderr.strip() or done.stdout}")

    def _log_tail(self) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
