"""Run the emulator as a real process, for tests that need sockets and several processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_health(url: str, process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """Return once `GET {url}/_emulator/health` answers 200; RuntimeError if `process`
    exits first, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited with {process.returncode} at start")
        try:
            if httpx.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"emulator at {url} not healthy after {timeout}s")


class EmulatorProcess:
    """`python -m token_emulator serve` on a free port; a context manager that waits for health.

    `database` None: the server's own temporary database, deleted when it stops."""

    def __init__(
        self,
        database: str | Path | None = None,
        *,
        fixtures: str | Path | None = None,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """`env`: variables added to (or replacing) this process's environment for the server."""
        self.database = None if database is None else str(database)
        self.fixtures = fixtures
        self.port = port or free_port()
        self.log_path = log_path
        self.extra_args = extra_args
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "token_emulator", "serve", "--port", str(self.port)]
        if self.database is not None:
            cmd += ["--database", self.database]
        if self.fixtures is not None:
            cmd += ["--fixtures", str(self.fixtures)]
        return [*cmd, *self.extra_args]

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.process = subprocess.Popen(
            self.command(), stdout=output, stderr=subprocess.STDOUT, env=env
        )
        try:
            wait_for_health(self.url, self.process, timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int | None:
        """Stop as Ctrl-C does (or with `sig`); returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
