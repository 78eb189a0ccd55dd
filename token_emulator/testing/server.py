"""Start a server process and wait for its health: the one helper the pytest plugin, the
tests and the benchmarks (bench/servers.py) start servers with.

`ServerProcess` runs any HTTP server command (the emulator, the benchmarks' bare
reference app, a node mock) with its output in a log file, answers once its
health path says 200, and stops it as Ctrl-C would. `EmulatorProcess` is
`token-emulator serve` on a free port. Health is asked over a raw socket, so
waiting costs next to nothing and a start-up can be timed to a few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

from token_emulator.trust import any_certificate

HEALTH_PATH = "/_emulator/health"
POLL_SECONDS = 0.005


class ServerFailed(RuntimeError):
    """The server exited, or was not healthy in time; the message quotes its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_status(
    host: str, port: int, path: str, timeout: float = 1.0, *, tls: bool = False
) -> int | None:
    """The status of one GET over a fresh connection (TLS, of any certificate, with
    `tls`); None if nothing answers."""
    try:
        with contextlib.ExitStack() as stack:
            sock = stack.enter_context(socket.create_connection((host, port), timeout=timeout))
            if tls:
                # Waiting for health is not a check of the server's certificate.
                sock = stack.enter_context(any_certificate().wrap_socket(sock))
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
            sock.sendall(request.encode())
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(256)
                if not chunk:
                    return None
                head += chunk
            return int(head.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


def wait_for_health(
    url: str,
    process: subprocess.Popen[Any],
    timeout: float = 20.0,
    *,
    path: str = HEALTH_PATH,
    interval: float = POLL_SECONDS,
) -> float:
    """Seconds until `GET {url}{path}` answers 200; ServerFailed if `process` exits first,
    or after `timeout` seconds."""
    where = urlsplit(url)
    tls = where.scheme == "https"
    host, port = where.hostname or "127.0.0.1", where.port or (443 if tls else 80)
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if http_status(host, port, path, tls=tls) == 200:
            return time.perf_counter() - started
        if process.poll() is not None:
            raise ServerFailed(f"{url}: exited with {process.returncode} at start")
        time.sleep(interval)
    raise ServerFailed(f"{url}: not healthy after {timeout:g} s")


class ServerProcess:
    """A server command as a child process: `start()` waits for its health path to
    answer 200, `stop()` stops it as Ctrl-C would (then kills it if it lingers).

    `own_group`: in a process group of its own, stopped together (npx's npm, shell and
    node; `serve --workers` and its workers)."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        port: int,
        health_path: str = HEALTH_PATH,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        own_group: bool = False,
        poll_interval: float = POLL_SECONDS,
        tls: bool = False,
    ) -> None:
        """`env`: variables added to (or replacing) this process's environment; `tls`: it
        serves HTTPS."""
        self.command = list(command)
        self.tls = tls
        self.port = port
        self.health_path = health_path
        self.log_path = log_path
        self.env = dict(env or {})
        self.cwd = cwd
        self.own_group = own_group
        self.poll_interval = poll_interval
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None  # seconds from the start to healthy

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Self:
        """Start, and return once the health path answers 200 (`started_in` says how
        long that took); ServerFailed, quoting the log, if it exits or is not healthy
        in time."""
        output: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            output = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                start_new_session=self.own_group,
            )
        finally:
            if not isinstance(output, int):
                output.close()
        try:
            self.started_in = wait_for_health(
                self.url, self.process, timeout, path=self.health_path, interval=self.poll_interval
            )
        except ServerFailed as error:
            self.stop()
            raise ServerFailed(f"{error}\n{self.tail()}") from None
        return self

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int | None:
        """Stop as Ctrl-C does (or with `sig`); the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self._signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            return self.process.wait()
        finally:
            if self.own_group:
                self._kill_stragglers()

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        if self.own_group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)

    def _kill_stragglers(self) -> None:
        """What is left of the group a moment after its leader ended (npx's node)."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def tail(self, lines: int = 15) -> str:
        """The end of its log, for a failure's message."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_command(
    *,
    port: int,
    database: str | None = None,
    fixtures: str | Path | None = None,
    extra_args: Sequence[str] = (),
    executable: Sequence[str] | None = None,
) -> list[str]:
    """`token-emulator serve` with these options; `executable` defaults to this
    interpreter's `-m token_emulator`."""
    command = [*(executable or (sys.executable, "-m", "token_emulator")), "serve"]
    command += ["--port", str(port)]
    if database is not None:
        command += ["--database", database]
    if fixtures is not None:
        command += ["--fixtures", str(fixtures)]
    return [*command, *extra_args]


class EmulatorProcess(ServerProcess):
    """`python -m token_emulator serve` on a free port; a context manager that waits for
    health. `database` None: the server's own temporary database, deleted when it stops.
    `tls`: `serve --tls`, trusted through `ca_file` (which needs a database file)."""

    def __init__(
        self,
        database: str | Path | None = None,
        *,
        fixtures: str | Path | None = None,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        tls: bool = False,
    ) -> None:
        self.database = None if database is None else str(database)
        self.fixtures = fixtures
        port = port or free_port()
        command = serve_command(
            port=port,
            database=self.database,
            fixtures=fixtures,
            extra_args=(*extra_args, "--tls") if tls else extra_args,
        )
        super().__init__(command, port=port, log_path=log_path, env=env, tls=tls)

    @property
    def ca_file(self) -> Path | None:
        """The local authority's certificate of a `tls` server on a database file, which
        clients trust (`TokenEmulator(url, ca_file=...)`); None for plain HTTP."""
        if not self.tls:
            return None
        from token_emulator.certificates import CA_FILE, authority_directory

        directory = authority_directory(self.database)
        if directory is None:
            raise ValueError("the local authority of a server without a database file is its run's")
        return directory / CA_FILE
