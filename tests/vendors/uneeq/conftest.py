from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.conftest import FIXTURES

TOKEN_PATH = "/uneeq/api/v1/clients/access/tokens"
START_PATH = "/uneeq/api/v2/clients/start-session"


def workspace(workspace_id: str) -> dict[str, Any]:
    data = tomllib.loads((FIXTURES / "uneeq.toml").read_text())
    return next(w for w in data["workspaces"] if w["id"] == workspace_id)


@pytest.fixture
def demo() -> dict[str, Any]:
    return workspace("demo")
