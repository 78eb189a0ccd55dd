"""One emulator process for every pytest-xdist worker of a run, instead of one each.

The first worker whose tests ask for it starts it; each worker that then asks
joins it; the last one to finish stops it. Which server runs, and how many
workers use it, is kept in a small JSON file in the run's temporary directory
(the one all workers share), read and written under an exclusive lock on a
file beside it. Each test gets a world of its own in it (plugin.py), so sharing
one server shares no state between tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from token_emulator.trust import trusting

STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
STOP_SECONDS = 15.0


@dataclass(frozen=True)
class RunningEmulator:
    """Where a running emulator is: what the `token_emulator_server` fixture gives."""

    url: str
    port: int | None = None
    database: str | None = None
    log_path: Path | None = None
    pid: int | None = None
    # The authority an HTTPS emulator's certificate comes from (serve --tls), to trust.
    ca_file: str | None = None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def verify_for(ca_file: str | os.PathLike[str] | None) -> ssl.SSLContext | bool:
    """httpx's `verify` for an emulator whose authority is `ca_file` (None: plain HTTP)."""
    return True if ca_file is None else trusting(ca_file)


def _answers(server: RunningEmulator) -> bool:
    try:
        answer = httpx.get(
            f"{server.url}/_emulator/health", timeout=5, verify=verify_for(server.ca_file)
        )
    except (httpx.HTTPError, OSError, ssl.SSLError, ValueError):
        return False
    return answer.status_code == 200


def _read(directory: Path) -> tuple[RunningEmulator, int] | None:
    try:
        state = json.loads((directory / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    log_path = state["server"].get("log_path")
    server = RunningEmulator(**{**state["server"], "log_path": log_path and Path(log_path)})
    return server, int(state["users"])


def _write(directory: Path, server: RunningEmulator, users: int) -> None:
    shown = {**asdict(server), "log_path": server.log_path and str(server.log_path)}
    (directory / STATE_FILE).write_text(json.dumps({"server": shown, "users": users}))


@contextlib.contextmanager
def shared_server(
    directory: Path, start: Callable[[Path], RunningEmulator]
) -> Iterator[RunningEmulator]:
    """The run's shared server, started in `directory` by `start` if none answers."""
    with _locked(directory):
        found = _read(directory)
        if found is not None and _answers(found[0]):
            server, users = found[0], found[1] + 1
        else:
            server, users = start(directory), 1
        _write(directory, server, users)
    try:
        yield server
    finally:
        with _locked(directory):
            found = _read(directory)
            users = found[1] - 1 if found is not None and found[0] == server else 0
            if users > 0:
                _write(directory, server, users)
            else:
                _stop(server)
                with contextlib.suppress(FileNotFoundError):
                    (directory / STATE_FILE).unlink()


def _stop(server: RunningEmulator) -> None:
    """Stop the server as Ctrl-C would, whichever worker started it; then kill it if it
    still answers. A worker that did not start it cannot wait for it as its parent can,
    so it waits until the port no longer answers."""
    if server.pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_SECONDS
        while _answers(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _answers(server):
            os.kill(server.pid, signal.SIGKILL)
