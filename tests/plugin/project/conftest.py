"""The project's own fixtures. It imports nothing from the emulator's test suite:
the token_emulator* fixtures come from the installed plugin alone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from token_emulator.testing.shared_server import RunningEmulator


@pytest.fixture
def anyio_backend() -> str:
    # The in-process app runs on asyncio only.
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def report_server(token_emulator_server: RunningEmulator) -> RunningEmulator:
    """Tell the outer test which emulator this process (or xdist worker) used."""
    directory = os.environ.get("TOKEN_EMULATOR_REPORT_DIR")
    if directory:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        report = {
            "worker": worker,
            "url": token_emulator_server.url,
            "port": token_emulator_server.port,
            "pid": token_emulator_server.pid,
            "database": token_emulator_server.database,
        }
        (Path(directory) / f"{worker}.json").write_text(json.dumps(report))
    return token_emulator_server
