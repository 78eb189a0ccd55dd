"""The servers the benchmarks start: the emulator, the bare reference app, oauth2-mock-server.

Each runs in its own process group (so npx's npm, shell and node go together)
with its output in a log file, and is stopped as Ctrl-C would, then killed if
it lingers. Health is polled over a raw socket every 2 ms, so the poller adds
little to a start-up figure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from token_emulator.testing.server import free_port

REPO = Path(__file__).resolve().parent.parent
NODE_DIR = REPO / "bench" / "node"
POLL_SECONDS = 0.002
UVICORN_READY = "Application startup complete"
OAUTH2_MOCK_HEALTH = "/.well-known/openid-configuration"
OAUTH2_MOCK_PACKAGE = NODE_DIR / "node_modules" / "oauth2-mock-server"
OAUTH2_MOCK_SCRIPT = OAUTH2_MOCK_PACKAGE / "dist" / "oauth2-mock-server.mjs"


class ServerFailed(RuntimeError):
    """A server exited or never became healthy; the message quotes its log."""


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of one GET over a fresh connection, None if nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
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


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    health_path: str
    log_path: Path
    cwd: Path = REPO
    workers: int = 1
    # A log line each worker prints when it serves; None: health alone says ready.
    ready_marker: str | None = UVICORN_READY
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait for the first 200 on the health path; seconds from the start."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if http_status(self.port, self.health_path) == 200:
                return time.perf_counter() - started
            if self.process.poll() is not None:
                code = self.process.returncode
                raise ServerFailed(f"{self.name} exited with {code}: {self.tail()}")
            time.sleep(POLL_SECONDS)
        self.stop()
        raise ServerFailed(f"{self.name} not healthy after {timeout} s: {self.tail()}")

    def wait_for_every_worker(self, timeout: float = 60.0) -> None:
        """Health answers from the first worker up; a load test wants all of them."""
        if self.ready_marker is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log_path.read_text(errors="replace").count(self.ready_marker) >= self.workers:
                return
            time.sleep(0.05)
        raise ServerFailed(f"{self.name}: not all {self.workers} workers started: {self.tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = self.process.pid  # start_new_session: the group is this process's own
        os.killpg(group, signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        # npx's node may outlive npm by a moment; the group goes with it.
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its workers."""
        return group_cpu_seconds(self.process.pid) if self.process else 0.0

    def tail(self, lines: int = 15) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Server:
        self.start()
        try:
            self.wait_for_every_worker()
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ fails
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def emulator(workdir: Path, fixtures: Path, *, workers: int = 1, name: str = "emulator") -> Server:
    """`token-emulator serve` (the console script) on a fresh database in `workdir`."""
    port = free_port()
    script = Path(sys.executable).parent / "token-emulator"
    command = [str(script), "serve", "--port", str(port), "--fixtures", str(fixtures)]
    command += ["--database", str(workdir / f"{name}-{port}.sqlite3")]
    if workers != 1:
        command += ["--workers", str(workers)]
    return Server(
        name,
        command,
        port,
        "/_emulator/health",
        workdir / f"{name}-{port}.log",
        workers=workers,
    )


def reference(workdir: Path, *, workers: int = 1) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "bench.reference_app", "--port", str(port)]
    if workers != 1:
        command += ["--workers", str(workers)]
    return Server(
        "bare Starlette",
        command,
        port,
        "/_emulator/health",
        workdir / f"reference-{port}.log",
        workers=workers,
    )


def oauth2_mock(workdir: Path, *, through_npx: bool = True) -> Server:
    """oauth2-mock-server from bench/node's local install: with `npx`, or node directly."""
    port = free_port()
    arguments = ["-a", "127.0.0.1", "-p", str(port)]
    if through_npx:
        command = ["npx", "--no-install", "oauth2-mock-server", *arguments]
        name = "oauth2-mock-server (npx)"
    else:
        command = ["node", str(OAUTH2_MOCK_SCRIPT), *arguments]
        name = "oauth2-mock-server (node)"
    return Server(
        name,
        command,
        port,
        OAUTH2_MOCK_HEALTH,
        workdir / f"oauth2-mock-{port}.log",
        cwd=NODE_DIR,
        ready_marker=None,
    )


def group_cpu_seconds(group: int) -> float:
    """User + system CPU time of every live process in a process group (Linux /proc).

    Beside wall-clock figures on a shared machine: CPU time per request barely
    moves when other sessions load the cores, while requests per second do.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after its last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
