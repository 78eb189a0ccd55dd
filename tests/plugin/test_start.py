"""start_server when its port is taken between choosing and binding it (what two
xdist workers can do to each other): it moves on to the next port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from token_emulator.settings import default_fixtures_dir
from token_emulator.testing import EmulatorProcess, free_port
from token_emulator.testing.plugin import start_server


def test_a_taken_port_is_skipped(tmp_path: Path, server: EmulatorProcess) -> None:
    # `server` (tests/conftest.py) holds its port: the first candidate is taken.
    started = start_server(tmp_path, default_fixtures_dir(), ports=[server.port, free_port()])
    try:
        assert started.port != server.port
        health = httpx.get(f"{started.url}/_emulator/health").json()
        assert health["database"].endswith(str(tmp_path / "emulator.sqlite3"))
    finally:
        started.stop()
    assert started.process is not None and started.process.returncode is not None
    # Whether the first try lost the bind or saw health answered by `server`,
    # only the second one ran.
    log = (tmp_path / "server.log").read_text()
    assert log.count("Uvicorn running on") == 1
    assert f"Uvicorn running on {started.url}" in log


def test_a_bad_fixture_directory_fails_at_once_with_the_log(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "uneeq.toml").write_text('[[workspaces]]\nid = "w1"\n')
    with pytest.raises(RuntimeError) as refused:
        start_server(tmp_path, fixtures, ports=[free_port(), free_port()])
    assert "exited with 2 at start" in str(refused.value)
    assert "field 'secret': Field required" in str(refused.value)
    # No second try: a port was not the problem.
    assert (tmp_path / "server.log").read_text().count("are not valid") == 1


def test_the_handle_sends_the_admin_token_to_the_control_plane_only(tmp_path: Path) -> None:
    from token_emulator.testing.plugin import TokenEmulator

    token = "admin-TEST-ONLY"
    server = EmulatorProcess(
        tmp_path / "db.sqlite3",
        fixtures=default_fixtures_dir(),
        extra_args=("--admin-token", token),
    )
    with server, TokenEmulator(server.url, admin_token=token) as handle:
        assert handle.requests() == []  # the control plane takes it
        refused = handle.http.get("/unifize/chatroom")  # a vendor call does not get it
        assert refused.status_code == 401
        assert refused.headers["x-emulator-reason"].startswith("missing Authorization header")
