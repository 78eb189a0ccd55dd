"""`token-emulator --help` and every QA command import neither SQLAlchemy nor Starlette:
they run in a fresh interpreter against the session's server, and say which of the
server's libraries they loaded. (How long they take is measured in bench/cli.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from token_emulator.vendors import all_clients

SERVER_LIBRARIES = ("sqlalchemy", "starlette", "uvicorn", "aiosqlite", "asyncpg")

# Runs the command line as the console script does, then prints what was imported.
PROBE = """
import json, sys
from token_emulator.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def imported_by(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


def qa_commands(url: str) -> list[tuple[str, ...]]:
    remote = ("--url", url)
    commands: list[tuple[str, ...]] = [
        ("clock", *remote),
        ("clock", "advance", "1s", *remote),
        ("reset", *remote),
        ("requests", "--limit", "2", *remote),
        ("fault", "list", *remote),
        ("fault", "clear", *remote),
        ("wait", *remote),
    ]
    for client in all_clients():
        commands += [("token", client.id, *remote), ("state", client.id, *remote)]
        if client.mint is not None:
            commands.append(("mint", client.id))
    return commands


def test_help_loads_no_server_library_and_no_vendor() -> None:
    code, loaded = imported_by("--help")
    assert code == 0
    assert not loaded & {*SERVER_LIBRARIES, "httpx", "pydantic", "joserfc"}


@pytest.mark.parametrize("index", range(len(qa_commands("url"))))
def test_a_qa_command_loads_no_server_library(url: str, index: int) -> None:
    argv = qa_commands(url)[index]
    code, loaded = imported_by(*argv)
    assert code == 0, argv
    assert not loaded & set(SERVER_LIBRARIES), (argv, sorted(loaded & set(SERVER_LIBRARIES)))


def test_serve_and_check_are_the_commands_that_load_the_server() -> None:
    """The probe sees them: `check` loads the fixture schemas and the vendors' tables."""
    code, loaded = imported_by("check")
    assert code == 0
    assert {"sqlalchemy", "starlette"} <= loaded
