"""What a restart on a kept database does with fixture files edited since the last start."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.uneeq.conftest import DEMO, START_PATH, TOKEN_PATH, sdk_body, token_request
from tests.vendors.web1on1.conftest import USERS
from token_emulator.testing import web1on1_login

pytestmark = pytest.mark.anyio

DEMO_EU = """
[[workspaces]]
id = "demo-eu"
name = "Demo persona, Europe"
secret = "test-only-uneeq-secret-demo-eu-0123456789abcdef"
region = "eu"
token_ttl_seconds = 300
"""


def changes_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if "fixtures changed since the last start" in record.getMessage()
    ]


@pytest.mark.each_database
async def test_an_entry_removed_from_a_file_reseeds_that_vendor_only(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        token = (await client.post(TOKEN_PATH, **token_request())).json()["token"]
        chain = await web1on1_login(client)
    edit_fixture(fixtures, "uneeq.toml", DEMO_EU, "")
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        assert changes_logged(caplog) == [
            (
                "WARNING",
                "uneeq fixtures changed since the last start: 1 removed from workspaces; "
                "an entry removed re-seeds the vendor's whole state",
            )
        ]
        state = (await client.get("/_emulator/state/uneeq")).json()
        assert [w["id"] for w in state["workspaces"]] == ["demo"]
        assert state["tokens"] == []
        assert (await client.post(START_PATH, json=sdk_body(token))).status_code == 401
        assert (await client.post(TOKEN_PATH, **token_request())).status_code == 200
        # Another vendor's state is left alone: its token from before still works.
        contacts = await client.get(
            "/web1on1/v2/contacts", headers={"Authorization": f"Bearer {chain['token']}"}
        )
        assert contacts.status_code == 200, contacts.headers.get("x-emulator-reason")


async def test_a_restart_logs_what_it_applied_and_nothing_when_nothing_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, fixtures_dir=fixtures)
    caplog.set_level(logging.INFO, "token_emulator")
    async for _client in in_process(settings):
        pass
    async for _client in in_process(settings):
        pass
    assert changes_logged(caplog) == []  # a first start, then an unchanged file
    edit_fixture(fixtures, "uneeq.toml", DEMO["secret"], "edited-secret-TEST-ONLY-0123456789")
    edit_fixture(fixtures, "uneeq.toml", DEMO_EU, DEMO_EU + DEMO_EU.replace("demo-eu", "demo-au"))
    edit_fixture(
        fixtures, "web1on1.toml", "expired_token_status = 401", "expired_token_status = 403"
    )
    async for _client in in_process(settings):
        pass
    assert changes_logged(caplog) == [
        (
            "INFO",
            "uneeq fixtures changed since the last start: 1 entry added, 1 entry edited; applied",
        ),
        ("INFO", "web1on1 fixtures changed since the last start: settings edited; applied"),
    ]


async def test_no_fixture_secret_is_kept_in_clear(tmp_path: Path) -> None:
    database = tmp_path / "emulator.sqlite3"
    async for _client in in_process(make_settings(tmp_path, database=str(database))):
        pass
    with sqlite3.connect(database) as connection:
        kept = repr(connection.execute("SELECT * FROM emulator_applied_fixtures").fetchall())
    for secret in (DEMO["secret"], USERS["admin"]["password"], "sk_live_acme_TESTONLYsecret0001"):
        assert secret not in kept


@pytest.mark.each_database
async def test_fixtures_added_at_run_time_give_way_to_an_edited_file(
    tmp_path: Path, database: str
) -> None:
    """An entry the file now holds leaves what was added at run time (later additions
    are not refused as its duplicates, and those left beside it still are), and an edit
    of the file's settings wins over settings given at run time (later additions do not
    bring them back)."""
    fixtures = copy_of_fixtures(tmp_path)
    # After the restart w11 alone counts, so w10 and w11 again fit (and w11 is refused
    # as a duplicate, not for the bound).
    settings = make_settings(
        tmp_path, database=database, fixtures_dir=fixtures, max_added_entries=3
    )
    w9 = {"id": "w9", "secret": "w9-secret-TEST-ONLY", "region": "us"}
    w11 = {**w9, "id": "w11"}
    async for client in in_process(settings):
        for vendor, added in (
            ("uneeq", {"workspaces": [w9, w11]}),
            ("widget", {"session_ttl_seconds": 111}),
        ):
            response = await client.post(
                "/_emulator/fixtures", json={"vendor": vendor, "fixtures": added}
            )
            assert response.status_code == 201
    edit_fixture(fixtures, "uneeq.toml", DEMO_EU, DEMO_EU + DEMO_EU.replace("demo-eu", "w9"))
    edit_fixture(
        fixtures,
        "widget.toml",
        "visitor_token_ttl_seconds = 300",
        "visitor_token_ttl_seconds = 120",
    )
    async for client in in_process(settings):
        w10 = {**w9, "id": "w10"}
        for vendor, added in (
            ("uneeq", {"workspaces": [w10]}),
            ("widget", {"refresh_grace_seconds": 10}),
        ):
            response = await client.post(
                "/_emulator/fixtures", json={"vendor": vendor, "fixtures": added}
            )
            assert response.status_code == 201, response.text
        again = await client.post(
            "/_emulator/fixtures", json={"vendor": "uneeq", "fixtures": {"workspaces": [w11]}}
        )
        assert again.status_code == 400
        assert "duplicate id 'w11'" in again.text
        lifetimes = (await client.get("/_emulator/state/widget")).json()["settings"]
        assert lifetimes["visitor_token_ttl_seconds"] == 120
        assert lifetimes["session_ttl_seconds"] == 900  # the file's, not 111 again
        assert lifetimes["refresh_grace_seconds"] == 10
