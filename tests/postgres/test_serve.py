"""`serve --database` with a PostgreSQL URL: as people type it, and without the driver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import FIXTURES
from tests.postgres.server import PostgresServer
from token_emulator.testing import EmulatorProcess


def test_a_plain_postgresql_url_gets_the_async_driver(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    with postgres.database() as url:
        plain = url.replace("postgresql+asyncpg://", "postgresql://")
        with EmulatorProcess(plain, fixtures=FIXTURES, log_path=tmp_path / "serve.log") as server:
            health = httpx.get(f"{server.url}/_emulator/health").json()
    assert health["status"] == "ready"
    assert health["database"] == url.replace("postgres@", "")


def test_without_asyncpg_serve_says_which_extra_to_install(tmp_path: Path) -> None:
    # An asyncpg that cannot be imported, ahead of the installed one.
    (tmp_path / "asyncpg").mkdir()
    (tmp_path / "asyncpg" / "__init__.py").write_text("raise ImportError('not installed')\n")
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--database", "postgresql://db/emulator"],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "token-emulator: a PostgreSQL database needs the asyncpg driver: "
        "pip install 'token-emulator[postgres]'\n"
    )
