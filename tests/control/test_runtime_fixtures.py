"""Fixtures added at run time: the files' schema in JSON, the same checks, until the next reset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, make_settings
from tests.vendor_targets import UNKNOWN_VENDOR, VALID_VENDORS
from token_emulator.testing import uneeq_request_jwt, unifize_assertion
from token_emulator.vendors.unifize.client import unifize_demo_private_key

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

UNEEQ_TOKEN = "/uneeq/api/v1/clients/access/tokens"


async def add(client: httpx.AsyncClient, vendor: str, fixtures: Any) -> httpx.Response:
    return await client.post("/_emulator/fixtures", json={"vendor": vendor, "fixtures": fixtures})


async def uneeq_token(client: httpx.AsyncClient, workspace: str, secret: str) -> int:
    response = await client.post(
        UNEEQ_TOKEN,
        content=uneeq_request_jwt(secret, workspace),
        headers={"workspace": workspace, "content-type": "application/jwt"},
    )
    return response.status_code


async def test_an_added_uneeq_workspace_works_until_the_next_reset(
    client: httpx.AsyncClient,
) -> None:
    workspace = {"id": "added", "secret": "added-secret-TEST-ONLY-0123456789", "region": "eu"}
    assert await uneeq_token(client, "added", workspace["secret"]) == 403
    response = await add(client, "uneeq", {"workspaces": [workspace]})
    assert response.status_code == 201
    assert response.json() == {"vendor": "uneeq", "added": {"workspaces": 1}}
    assert await uneeq_token(client, "added", workspace["secret"]) == 200
    await client.post("/_emulator/reset")
    assert await uneeq_token(client, "added", workspace["secret"]) == 403


async def test_an_added_unifize_app_with_an_inline_key(client: httpx.AsyncClient) -> None:
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048)
    app = {
        "id": 150,
        "org_id": 1,
        "bot_uid": "bot-150",
        "public_keys": [key.as_pem().decode()],
        "permissions": ["chatroom:read"],
    }
    assert (await add(client, "unifize", {"apps": [app]})).status_code == 201
    assertion = unifize_assertion(150, key.as_pem(private=True).decode())
    response = await client.post(
        "/unifize/application/token", headers={"Authorization": f"Bearer {assertion}"}
    )
    assert response.status_code == 200
    # A key file cannot be named at run time: there is no fixture directory.
    by_file = dict(app, id=151, public_keys=[], public_key_files=["unifize-demo-app.public.pem"])
    refused = await add(client, "unifize", {"apps": [by_file]})
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        "unifize.toml (added at run time): apps[0] (id 151): field 'public_key_files': "
        "file references need a fixture directory; give the contents instead"
    ]
    assert unifize_demo_private_key()  # the file's app still has its key


async def test_added_entries_may_refer_to_the_files_and_earlier_additions(
    client: httpx.AsyncClient,
) -> None:
    user = {
        "id": "u-added",
        "organization": "5f47d86c51755a001dc41b80",  # Demo Org, from web1on1.toml
        "email": "added@example.org",
        "password": "added-TEST-ONLY",
        "role": "agent",
    }
    assert (await add(client, "web1on1", {"users": [user]})).status_code == 201
    key = {"id": "k-added", "user": "u-added", "scopes": ["agent"]}
    message = {"id": "m-added", "conversation": "5f47d86c51755a001dc41e01", "text": "hi"}
    added = await add(client, "web1on1", {"api_keys": [key], "messages": [message]})
    assert added.status_code == 201, added.text
    assert added.json()["added"] == {"api_keys": 1, "messages": 1}
    login = await client.post(
        "/web1on1/v2/auth/token", json={"email": "added@example.org", "password": "added-TEST-ONLY"}
    )
    assert login.status_code == 201
    state = (await client.get("/_emulator/state/web1on1")).json()
    [stored] = [m for m in state["records"]["messages"] if m["_id"] == "m-added"]
    assert stored["organization"] == "5f47d86c51755a001dc41b80"
    assert "k-added" in {k["id"] for k in state["api_keys"]}


@pytest.mark.parametrize(
    ("vendor", "fixtures", "problems"),
    [
        (
            "uneeq",
            {"workspaces": [{"id": "demo", "secret": "x" * 32, "region": "us"}]},
            ["uneeq.toml (added at run time): workspaces[0]: field 'id': duplicate id 'demo'"],
        ),
        (
            "uneeq",
            {"workspaces": [{"id": "w", "secret": "x" * 32, "region": "mars"}]},
            [
                "uneeq.toml (added at run time): workspaces[0] (id 'w'): field 'region': "
                "Input should be 'us', 'eu', 'au' or 'sg'"
            ],
        ),
        (
            "web1on1",
            {"api_keys": [{"id": "k", "user": "nobody", "scopes": ["bot"]}]},
            [
                "web1on1.toml (added at run time): api_keys[0] (id 'k'): field 'user': "
                "user 'nobody' is not in [[users]]"
            ],
        ),
        (
            "web1on1",
            {"rate_limit_per_second": -1},
            [
                "web1on1.toml (added at run time): field 'rate_limit_per_second': "
                "Input should be greater than or equal to 0"
            ],
        ),
        (
            "uneeq",
            {"token_ttl_seconds": 60},
            [
                "uneeq.toml (added at run time): field 'token_ttl_seconds': "
                "Extra inputs are not permitted"
            ],
        ),
        (
            "8x8",
            {"agents": [{"email": "not-an-email"}], "colour": "red"},
            None,  # checked below: two problems, both named
        ),
        ("widget", [], ["widget.toml (added at run time): fixtures must be a JSON object"]),
    ],
)
async def test_refused_fixtures_name_every_problem_and_change_nothing(
    client: httpx.AsyncClient, vendor: str, fixtures: Any, problems: list[str] | None
) -> None:
    before = (await client.get(f"/_emulator/state/{vendor}")).json()
    response = await add(client, vendor, fixtures)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "fixtures rejected"
    if problems is not None:
        assert body["problems"] == problems
    else:
        assert len(body["problems"]) == 2
        assert any("field 'colour': Extra inputs are not permitted" in p for p in body["problems"])
    after = (await client.get(f"/_emulator/state/{vendor}")).json()
    assert {k: v for k, v in after.items() if k != "now"} == {
        k: v for k, v in before.items() if k != "now"
    }


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"vendor": UNKNOWN_VENDOR, "fixtures": {}},
            404,
            f"unknown vendor {UNKNOWN_VENDOR!r}; valid: {VALID_VENDORS}",
        ),
        (
            {"vendor": "uneeq"},
            400,
            'give {"vendor": <id>, "fixtures": {<sections or settings of its fixture file>}}',
        ),
        (
            {"vendor": "uneeq", "fixtures": {}, "x": 1},
            400,
            'give {"vendor": <id>, "fixtures": {<sections or settings of its fixture file>}}',
        ),
    ],
)
async def test_bad_requests_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, message: str
) -> None:
    response = await client.post("/_emulator/fixtures", json=body)
    assert response.status_code == status
    assert response.json() == {"error": message}


async def test_a_widget_addition_leaves_the_files_lifetimes_alone(
    client: httpx.AsyncClient,
) -> None:
    account = {"id": "initech", "name": "Initech"}
    assert (await add(client, "widget", {"accounts": [account]})).status_code == 201
    settings = (await client.get("/_emulator/state/widget")).json()["settings"]
    assert settings["visitor_token_ttl_seconds"] == 300
    assert settings["session_ttl_seconds"] == 900


async def contacts_until_refused(client: httpx.AsyncClient, tries: int) -> list[int]:
    """Statuses of `tries` unauthenticated contact lists in one frozen second."""
    await client.post("/_emulator/clock", json={"freeze": True})
    return [(await client.get("/web1on1/v2/contacts")).status_code for _ in range(tries)]


async def test_settings_given_at_run_time_are_in_force_until_the_next_reset(
    client: httpx.AsyncClient,
) -> None:
    # web1on1's documented limit, 20 a second, is on by default.
    assert 429 in await contacts_until_refused(client, 25)
    response = await add(client, "web1on1", {"rate_limit_per_second": 0})
    assert response.status_code == 201
    assert response.json() == {
        "vendor": "web1on1",
        "added": {},
        "settings": {"rate_limit_per_second": 0},
    }
    await client.post("/_emulator/clock", json={"advance": 1})
    assert set(await contacts_until_refused(client, 40)) == {401}
    await client.post("/_emulator/reset")
    assert 429 in await contacts_until_refused(client, 25)


async def test_settings_and_entries_in_one_document_and_later_documents_keep_earlier_settings(
    client: httpx.AsyncClient,
) -> None:
    first = {"visitor_token_ttl_seconds": 60, "accounts": [{"id": "initech"}]}
    assert (await add(client, "widget", first)).status_code == 201
    second = await add(client, "widget", {"session_ttl_seconds": 120})
    assert second.json()["settings"] == {"session_ttl_seconds": 120}
    state = (await client.get("/_emulator/state/widget")).json()
    assert state["settings"]["visitor_token_ttl_seconds"] == 60
    assert state["settings"]["session_ttl_seconds"] == 120
    assert "initech" in {account["id"] for account in state["accounts"]}
    await client.post("/_emulator/reset")
    state = (await client.get("/_emulator/state/widget")).json()
    assert state["settings"]["visitor_token_ttl_seconds"] == 300
    assert state["settings"]["session_ttl_seconds"] == 900


async def test_settings_given_at_run_time_reach_every_process(
    tmp_path: Path, database: str
) -> None:
    settings = make_settings(tmp_path, database=database)
    async for one in in_process(settings):
        async for two in in_process(settings):
            assert 429 in await contacts_until_refused(two, 25)
            assert (await add(one, "web1on1", {"rate_limit_per_second": 0})).status_code == 201
            await two.post("/_emulator/clock", json={"advance": 1})
            assert set(await contacts_until_refused(two, 40)) == {401}


async def test_additions_are_seen_by_every_process_and_survive_a_restart(
    tmp_path: Path, database: str
) -> None:
    settings = make_settings(tmp_path, database=database)
    secret = "shared-secret-TEST-ONLY-0123456789"
    async for one in in_process(settings):
        async for two in in_process(settings):
            workspace = {"id": "shared", "secret": secret, "region": "us"}
            assert (await add(one, "uneeq", {"workspaces": [workspace]})).status_code == 201
            assert await uneeq_token(two, "shared", secret) == 200
            # The second process checks against the first one's addition too.
            again = await add(two, "uneeq", {"workspaces": [workspace]})
            assert again.status_code == 400
    async for restarted in in_process(settings):
        assert await uneeq_token(restarted, "shared", secret) == 200


def workspaces(prefix: str, count: int) -> dict[str, Any]:
    return {
        "workspaces": [
            {"id": f"{prefix}-{n}", "secret": f"{prefix}-secret-TEST-ONLY-{n:04}", "region": "us"}
            for n in range(count)
        ]
    }


async def test_additions_are_bounded_and_past_the_bound_nothing_is_applied(
    tmp_path: Path, database: str
) -> None:
    settings = make_settings(tmp_path, database=database, max_added_entries=50)
    async for client in in_process(settings):
        assert (await add(client, "uneeq", workspaces("a", 30))).status_code == 201
        refused = await add(client, "uneeq", workspaces("b", 21))
        assert refused.status_code == 400
        assert refused.json()["problems"] == [
            "uneeq.toml (added at run time): would hold 51 entries added at run time, over "
            "the 50 the emulator keeps until a reset (--max-added-entries): reset, or put "
            "them in the fixture file"
        ]
        assert await uneeq_token(client, "b-0", "b-secret-TEST-ONLY-0000") == 403  # not added
        assert (await add(client, "uneeq", workspaces("c", 20))).status_code == 201
        # Another vendor has its own count; a reset empties them all.
        assert (
            await add(client, "8x8", {"agents": [{"email": "x@example.com"}]})
        ).status_code == 201
        await client.post("/_emulator/reset")
        assert (await add(client, "uneeq", workspaces("d", 50))).status_code == 201
        # A document with no entries (settings alone, or none) counts as one.
        for _ in range(50):
            assert (await add(client, "unifize", {})).status_code == 201
        assert (await add(client, "unifize", {})).status_code == 400


async def test_a_second_process_sees_additions_it_did_not_parse(
    tmp_path: Path, database: str
) -> None:
    """Additions are checked against the entries in the store (core/runtime_fixtures.py),
    so those another process added are checked against, and its reset is seen."""
    settings = make_settings(tmp_path, database=database)
    async for one in in_process(settings):
        async for two in in_process(settings):
            assert (await add(one, "uneeq", workspaces("one", 3))).status_code == 201
            assert (await add(two, "uneeq", workspaces("two", 3))).status_code == 201
            duplicate = await add(one, "uneeq", workspaces("two", 1))
            assert duplicate.status_code == 400
            assert "duplicate id 'two-0'" in " ".join(duplicate.json()["problems"])
            await two.post("/_emulator/reset")  # in the other process
            assert (await add(one, "uneeq", workspaces("two", 1))).status_code == 201
