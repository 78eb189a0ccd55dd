"""Store.fixture_row remembers lookups of fixture-only tables, within a bound of memory."""

from __future__ import annotations

import gc
import secrets
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.conftest import in_process, make_settings
from tests.vendors.uneeq.conftest import TOKEN_PATH, token_request
from token_emulator.core.errors import clip, one_line

pytestmark = pytest.mark.anyio

# A JWS whose header parses: the workspace is looked up before its signature is checked.
SOME_JWS = "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"


async def test_unknown_long_workspace_ids_are_not_remembered(tmp_path: Path) -> None:
    """Each unknown id was remembered (up to 4,096 of them) whatever its length:
    1,000 requests with a 12 KiB `workspace` header kept ~12 MB alive."""
    async for client in in_process(make_settings(tmp_path, journal_size=10)):
        tracemalloc.start()
        try:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(1000):
                workspace = secrets.token_hex(6 * 1024)
                headers = {"workspace": workspace, "content-type": "application/jwt"}
                refused = await client.post(TOKEN_PATH, content=SOME_JWS, headers=headers)
                assert refused.status_code == 403 and refused.text == "Forbidden"
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 2_000_000, f"{grown} bytes kept after 1,000 refusals"
        reason = clip(f"unknown workspace {workspace!r}")
        assert refused.headers["x-emulator-reason"] == one_line(reason)
        journal = (await client.get("/_emulator/requests", params={"limit": 1})).json()
        assert journal["requests"][0]["reason"] == reason


@pytest.mark.each_database
async def test_fixture_lookups_are_remembered_on_every_database(
    tmp_path: Path, database: str
) -> None:
    """On PostgreSQL too (no change stamp there): a second token request reads no
    workspace; a fixture added at run time, in any process, is seen at once."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    settings = make_settings(tmp_path, database=database)
    async for one in in_process(settings):
        async for two in in_process(settings):
            event.listen(Engine, "before_cursor_execute", seen)
            try:
                assert (await one.post(TOKEN_PATH, **token_request())).status_code == 200
                statements.clear()
                assert (await one.post(TOKEN_PATH, **token_request())).status_code == 200
                remembered = [s for s in statements if "FROM uneeq_workspaces" in s]
                workspace = {"id": "w2", "secret": "w2-secret-TEST-ONLY", "region": "us"}
                added = await two.post(
                    "/_emulator/fixtures",
                    json={"vendor": "uneeq", "fixtures": {"workspaces": [workspace]}},
                )
                assert added.status_code == 201
                new = await one.post(TOKEN_PATH, **token_request(workspace))
            finally:
                event.remove(Engine, "before_cursor_execute", seen)
    assert remembered == []
    assert new.status_code == 200
