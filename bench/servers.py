"""The servers the benchmarks start: the emulator, the bare reference app, oauth2-mock-server.

Each is a `ServerProcess` (token_emulator/testing/server.py, the helper the tests
and the pytest plugin start servers with), in a process group of its own (so
npx's npm, shell and node go together) with its output in a log file. Health is
polled every 2 ms over a raw socket, so the poller adds little to a start-up
figure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Self

from token_emulator.testing.server import ServerFailed, ServerProcess, free_port, serve_command

REPO = Path(__file__).resolve().parent.parent
NODE_DIR = REPO / "bench" / "node"
POLL_SECONDS = 0.002
UVICORN_READY = "Application startup complete"
OAUTH2_MOCK_HEALTH = "/.well-known/openid-configuration"
OAUTH2_MOCK_PACKAGE = NODE_DIR / "node_modules" / "oauth2-mock-server"
OAUTH2_MOCK_SCRIPT = OAUTH2_MOCK_PACKAGE / "dist" / "oauth2-mock-server.mjs"


class Server(ServerProcess):
    """A server under measurement: named in the report, with the CPU time of its group,
    and, with several workers, ready once each of them says so in the log."""

    def __init__(
        self,
        name: str,
        command: list[str],
        port: int,
        health_path: str,
        log_path: Path,
        *,
        cwd: Path = REPO,
        workers: int = 1,
        ready_marker: str | None = UVICORN_READY,  # None: health alone says ready
    ) -> None:
        super().__init__(
            command,
            port=port,
            health_path=health_path,
            log_path=log_path,
            cwd=cwd,
            own_group=True,
            poll_interval=POLL_SECONDS,
        )
        self.name = name
        self.workers = workers
        self.ready_marker = ready_marker

    def start_timed(self, timeout: float = 60.0) -> float:
        """Start; the seconds from the start to the first 200 on the health path."""
        self.start(timeout)
        assert self.started_in is not None
        return self.started_in

    def wait_for_every_worker(self, timeout: float = 60.0) -> None:
        """Health answers from the first worker up; a load test wants all of them."""
        if self.ready_marker is None or self.log_path is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log_path.read_text(errors="replace").count(self.ready_marker) >= self.workers:
                return
            time.sleep(0.05)
        raise ServerFailed(f"{self.name}: not all {self.workers} workers started: {self.tail()}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its workers."""
        return group_cpu_seconds(self.process.pid) if self.process else 0.0

    def __enter__(self) -> Self:
        self.start(timeout=60.0)
        try:
            self.wait_for_every_worker()
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ fails
            raise
        return self


def emulator(workdir: Path, fixtures: Path, *, workers: int = 1, name: str = "emulator") -> Server:
    """`token-emulator serve` (the console script) on a fresh database in `workdir`."""
    port = free_port()
    command = serve_command(
        port=port,
        database=str(workdir / f"{name}-{port}.sqlite3"),
        fixtures=fixtures,
        extra_args=("--workers", str(workers)) if workers != 1 else (),
        executable=[str(Path(sys.executable).parent / "token-emulator")],
    )
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
