"""`token-emulator serve --workers 2`: two processes on one port answer, from one world."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.settings import Settings
from emulator.testing import EmulatorProcess
from emulator.workers import NoDelayConfig
from tests.conftest import FIXTURES
from tests.vendors.uneeq.conftest import START_PATH, TOKEN_PATH, sdk_body, token_request

WORKER_STARTED = re.compile(r"Started server process \[(\d+)\]")


def _worker_pids(log: Path, count: int, timeout: float = 20.0) -> list[int]:
    """The workers' pids, once `count` of them have finished their start-up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if text.count("Application startup complete") >= count:
            return [int(pid) for pid in WORKER_STARTED.findall(text)]
        time.sleep(0.05)
    raise AssertionError(f"{count} workers did not start:\n{log.read_text()}")


@contextlib.contextmanager
def _paused(pid: int) -> Iterator[None]:
    """Stop one worker so that only the other accepts connections (kept well under
    uvicorn's 5 s worker healthcheck, which would replace a worker that stays stopped)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _journal(http: httpx.Client) -> list[tuple[str, int, str | None]]:
    entries = http.get("/_emulator/requests").json()["requests"]
    return [(entry["route"], entry["status"], entry["reason"]) for entry in entries]


def test_two_workers_answer_and_share_one_world(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    database = tmp_path / "emulator.sqlite3"
    server = EmulatorProcess(
        database, fixtures=FIXTURES, log_path=log, extra_args=("--workers", "2")
    )
    # A new connection per request: a kept-alive one would stay with one worker.
    fresh = httpx.Limits(max_keepalive_connections=0)
    with server, httpx.Client(base_url=server.url, timeout=10, limits=fresh) as http:
        first, second = _worker_pids(log, 2)
        assert first != second
        with _paused(second):
            issued = http.post(TOKEN_PATH, **token_request())
            assert issued.status_code == 200
            token = issued.json()["token"]
            first_journal = _journal(http)
        with _paused(first):
            started = http.post(START_PATH, json=sdk_body(token))
            assert started.status_code == 200
            session_id = started.json()["id"]
            again = http.post(START_PATH, json=sdk_body(token))
            second_journal = _journal(http)
        state = http.get("/_emulator/state/uneeq").json()
    # The second worker redeemed the token the first one issued, exactly once...
    assert (again.status_code, again.text) == (401, "Unauthorized")
    [session] = state["sessions"]
    assert session["id"] == session_id and session["token"] == token
    # ...and each worker's journal holds only the requests it answered.
    assert first_journal == [("uneeq:token", 200, None)]
    assert [entry[:2] for entry in second_journal] == [
        ("uneeq:start-session", 401),
        ("uneeq:start-session", 200),
    ]
    assert second_journal[0][2] is not None
    assert second_journal[0][2].startswith("token already redeemed at ")
    assert session_id in second_journal[0][2]
    assert "Traceback" not in log.read_text()


def test_workers_refuse_a_database_in_memory() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--database", ":memory:", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "token-emulator: --workers above 1 needs a shared database (a file or a URL), "
        "not :memory:\n"
    )


def test_the_environment_carries_every_setting_to_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        host="127.0.0.2",
        port=9123,
        fixtures_dir=tmp_path / "fixtures",
        database=str(tmp_path / "db.sqlite3"),
        journal_size=7,
        log_level="warning",
        admin_token="s3cret",
        workers=3,
    )
    for name in list(os.environ):
        if name.startswith("EMULATOR_"):
            monkeypatch.delenv(name)
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env() == settings


def test_worker_connections_get_tcp_nodelay() -> None:
    # uvicorn binds the workers' shared socket with proto 0, so asyncio leaves Nagle's
    # algorithm on and each kept-alive request waited ~40 ms for a delayed ACK. The
    # listening socket now carries TCP_NODELAY, which Linux gives every accepted socket.
    config = NoDelayConfig("emulator.cli:worker_app", factory=True, host="127.0.0.1", port=0)
    with config.bind_socket() as listening:
        listening.listen()
        with socket.create_connection(listening.getsockname()) as _client:
            accepted, _address = listening.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
