"""`token-emulator serve`: the console script, logging one line per request, Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import exc as sa_exc

from tests.conftest import FIXTURES
from tests.vendors.uneeq.conftest import TOKEN_PATH
from token_emulator.adapters.uvicorn import STARTUP_FAILURE
from token_emulator.app import database_refusal
from token_emulator.core.storage.schema import SCHEMA_VERSION
from token_emulator.testing import EmulatorProcess, free_port, uneeq_request_jwt
from token_emulator.testing.server import ServerProcess, serve_command


def test_serve_logs_each_request_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    process = EmulatorProcess(":memory:", fixtures=FIXTURES, log_path=log).start()
    response = httpx.post(
        process.url + TOKEN_PATH,
        content=uneeq_request_jwt("wrong-secret", "demo"),
        headers={"workspace": "demo", "content-type": "application/jwt"},
    )
    assert response.status_code == 401
    httpx.post(process.url + "/_emulator/clock", json={"advance": "soon"})
    httpx.get(process.url + "/uneeq/x%0A2026-01-01 INFO forged -> 200")
    assert process.stop(signal.SIGINT) == 0
    text = log.read_text()
    assert (
        "uneeq:token POST /uneeq/api/v1/clients/access/tokens -> 401 "
        "(signature does not verify with workspace demo's secret)"
    ) in text
    assert (
        "control:clock POST /_emulator/clock -> 400 (advance: 'soon' is not a duration; "
        "write e.g. 90s, 15m, 2h, 1d, 1h30m)"
    ) in text
    assert "Application shutdown complete" in text
    assert "\nforged" not in text and "/uneeq/x\\n2026-01-01 INFO forged -> 200 -> 404" in text
    assert "Traceback" not in text


def test_console_script_serves(tmp_path: Path) -> None:
    script = shutil.which("token-emulator", path=str(Path(sys.executable).parent))
    assert script, "the token-emulator console script is installed with the package"
    port = free_port()
    command = serve_command(
        port=port, database=str(tmp_path / "db.sqlite3"), fixtures=FIXTURES, executable=[script]
    )
    process = ServerProcess(command, port=port).start()
    assert httpx.get(f"{process.url}/_emulator/health").status_code == 200
    assert process.stop() == 0


def test_a_bad_number_in_the_environment_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "EMULATOR_PORT": "abc"}
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr == "token-emulator: EMULATOR_PORT must be a whole number, not 'abc'\n"


@pytest.mark.parametrize("given", ["inside a file", "a directory", "not a database"])
def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path, given: str) -> None:
    """Say, a container's /data the server's user may not write: one line, no traceback."""
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    garbage = tmp_path / "emulator.sqlite3"
    garbage.write_text("not a database " * 100)
    database, why = {
        "inside a file": (
            not_a_directory / "emulator.sqlite3",
            f"cannot create the database directory {not_a_directory}: File exists",
        ),
        "a directory": (
            tmp_path,
            f"{tmp_path} is a directory: --database (or EMULATOR_DATABASE) names the file",
        ),
        "not a database": (
            garbage,
            f"{garbage} is not a SQLite database: --database (or EMULATOR_DATABASE) names one",
        ),
    }[given]
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--database", str(database)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == f"token-emulator: {why}\n"


@pytest.mark.parametrize("given", ["another program's database", "a server refusing"])
def test_a_database_that_fails_at_start_up_is_one_line(tmp_path: Path, given: str) -> None:
    """Found only once the store opens it: start-up fails with one line, exit 3 as
    uvicorn's start-up failures; never SQLite's traceback, never a URL's password."""
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE emulator_clock (something_else TEXT NOT NULL)")
        connection.commit()
    closed_port = free_port()
    database, why = {
        "another program's database": (
            str(other),
            f"cannot start on the database {other}: OperationalError: "
            "table emulator_clock has no column named id",
        ),
        "a server refusing": (
            f"postgresql://someone:hunter2@127.0.0.1:{closed_port}/emulator",
            f"cannot start on the database postgresql://127.0.0.1:{closed_port}/emulator: "
            "ConnectionRefusedError: ",
        ),
    }[given]
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--port", "0", "--database", database],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == STARTUP_FAILURE, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 2, done.stderr[-2000:]
    assert errors[0].split("ERROR uvicorn.error: ", 1)[1].startswith(why)
    assert errors[1].endswith("Application startup failed. Exiting.")
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr


STATEMENT = "INSERT INTO emulator_clock (id) VALUES (?)"


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (
            sa_exc.OperationalError(STATEMENT, (1,), sqlite3.OperationalError("no column id")),
            ("OperationalError", "no column id"),
        ),
        (
            sqlite3.DatabaseError("file is not a database"),
            ("DatabaseError", "file is not a database"),
        ),
        (
            ConnectionRefusedError(111, "Connect call failed"),
            ("ConnectionRefusedError", "[Errno 111] Connect call failed"),
        ),
        # Bugs of ours keep their traceback: misusing the driver, a value it cannot bind,
        # a file of ours gone, anything else.
        (sa_exc.ProgrammingError(STATEMENT, (), sqlite3.ProgrammingError("bindings")), None),
        (sa_exc.StatementError("bad value", STATEMENT, (1,), TypeError("float()")), None),
        (FileNotFoundError(2, "No such file or directory"), None),
        (AttributeError("no such attribute"), None),
    ],
    ids=[
        "sqlite-said-no",
        "not-a-database",
        "server-refused",
        "api-misuse",
        "bind",
        "file",
        "other",
    ],
)
def test_only_the_databases_own_errors_are_told_in_one_line(
    error: BaseException, told: tuple[str, str] | None
) -> None:
    assert database_refusal(error) == told


def test_request_lines_are_written_while_serving_in_order(tmp_path: Path) -> None:
    """Lines are buffered for one turn of the event loop (serving.TurnBufferedHandler):
    each is in the log soon after its answer, not only when the server stops."""
    log = tmp_path / "serve.log"
    process = EmulatorProcess(":memory:", fixtures=FIXTURES, log_path=log).start()
    try:
        with httpx.Client(base_url=process.url) as client:
            for index in range(5):
                assert client.get(f"/uneeq/nothing-{index}").status_code == 404
        # Wire time: the server writes the line after the answer has left.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and log.read_text().count("-> 404") < 5:
            time.sleep(0.02)
        lines = log.read_text().splitlines()
        written = [line.split(": ", 1)[1] for line in lines if "-> 404" in line]
        assert written == [
            f"- GET /uneeq/nothing-{index} -> 404 (no route for GET /uneeq/nothing-{index})"
            for index in range(5)
        ]
        assert process.process is not None and process.process.poll() is None  # still serving
    finally:
        process.stop()


def test_sigterm_leaves_every_line_in_the_log(tmp_path: Path) -> None:
    """uvicorn ends a SIGTERM'd server by raising the signal again, which `serve` turns
    into exit status 0: nothing may still wait in the handler when the loop ends."""
    log = tmp_path / "serve.log"
    process = EmulatorProcess(":memory:", fixtures=FIXTURES, log_path=log).start()
    assert httpx.get(process.url + "/uneeq/last-request").status_code == 404
    assert process.stop(signal.SIGTERM) == 0
    text = log.read_text()
    assert "GET /uneeq/last-request -> 404" in text
    assert "Application shutdown complete." in text
    assert "Finished server process" in text.splitlines()[-1], text


def uneeq_only(directory: Path, workspace: str) -> Path:
    directory.mkdir()
    (directory / "uneeq.toml").write_text(
        f'[[workspaces]]\nid = "{workspace}"\nsecret = "{workspace}-TEST-ONLY"\nregion = "us"\n'
    )
    return directory


def test_serve_without_a_database_runs_on_its_own_and_leaves_nothing(tmp_path: Path) -> None:
    """Two projects on one machine, neither naming a database: each sees its own fixtures
    only, and neither leaves a file behind once stopped."""
    scratch = tmp_path / "tmp"  # the system's temporary directory, for these two
    scratch.mkdir()
    servers = [
        EmulatorProcess(
            fixtures=uneeq_only(tmp_path / name, name),
            log_path=tmp_path / f"{name}.log",
            env={"TMPDIR": str(scratch)},
        )
        for name in ("alpha", "beta")
    ]
    try:
        for server in servers:
            server.start()
        assert len(list(scratch.iterdir())) == 2
        alpha, beta = servers
        token = httpx.post(
            f"{alpha.url}/uneeq/api/v1/clients/access/tokens",
            content=uneeq_request_jwt("alpha-TEST-ONLY", "alpha"),
            headers={"workspace": "alpha", "content-type": "application/jwt"},
        )
        assert token.status_code == 200
        for server, name in ((alpha, "alpha"), (beta, "beta")):
            state = httpx.get(f"{server.url}/_emulator/state/uneeq").json()
            assert [w["id"] for w in state["workspaces"]] == [name]
            assert len(state["tokens"]) == (1 if name == "alpha" else 0)
            health = httpx.get(f"{server.url}/_emulator/health").json()
            assert health["database"].startswith(f"sqlite+pysqlite:///{scratch}/token-emulator-")
            assert health["database"].endswith("(temporary: deleted when the server stops)")
    finally:
        codes = [server.stop(signal.SIGTERM) for server in servers]
    assert codes == [0, 0]
    assert list(scratch.iterdir()) == []
    log = (tmp_path / "alpha.log").read_text()
    first = next(line for line in log.splitlines() if "token_emulator" in line)
    assert f"serving the fixtures in {tmp_path / 'alpha'} from the database" in first
    assert (
        f"(temporary: deleted when the server stops; new, schema version {SCHEMA_VERSION})" in first
    )
