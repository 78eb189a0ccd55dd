"""Real `serve` processes for the reliability suite, and what their logs must never say."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES

# Lines that must never appear in a server's log, whatever the load.
LOG_PROBLEMS = ("database is locked", "Traceback", "Exception in ASGI application")


@pytest.fixture(scope="session")
def unlimited_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default fixtures with web1on1's per-IP rate limit off: every caller of these
    tests is 127.0.0.1, and 50 requests in one second would otherwise meet a 429."""
    directory = tmp_path_factory.mktemp("fixtures") / "fixtures"
    shutil.copytree(FIXTURES, directory)
    web1on1 = directory / "web1on1.toml"
    text = web1on1.read_text()
    assert "rate_limit_per_second = 20\n" in text
    web1on1.write_text(text.replace("rate_limit_per_second = 20\n", "rate_limit_per_second = 0\n"))
    return directory


def log_problems(*logs: Path) -> list[str]:
    return [
        line
        for log in logs
        for line in log.read_text(errors="replace").splitlines()
        if any(problem in line for problem in LOG_PROBLEMS)
    ]


def async_client(url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
