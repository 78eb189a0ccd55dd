"""Resources under /v2/: organizations, list parameters, merges, users, messages, persistence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.conftest import in_process, last_request, make_settings
from tests.vendors.web1on1.conftest import (
    DEMO_ORG,
    OTHER_ADMIN,
    OTHER_ORG,
    TOKEN_PATH,
    USERS,
    bearer,
    fixture_dir,
    frozen,
    login,
    state,
    token_of,
)

pytestmark = pytest.mark.anyio

CONTACT = "5f47d86c51755a001dc41d01"
OTHER_CONTACT = "5f47d86c51755a001dc41d90"
CONVERSATION = "5f47d86c51755a001dc41e01"
OTHER_CONVERSATION = "5f47d86c51755a001dc41e90"
MESSAGE = "5f47d86c51755a001dc41f01"
V2 = "/web1on1/v2"


async def other_admin(client: httpx.AsyncClient) -> str:
    token: str = (await login(client, user=OTHER_ADMIN))["token"]
    return token


async def test_another_organizations_records_are_404(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    for path in (
        f"/contacts/{OTHER_CONTACT}",
        f"/conversations/{OTHER_CONVERSATION}",
        f"/organizations/{OTHER_ORG}",
        f"/users/{OTHER_ADMIN['id']}",
    ):
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(method, V2 + path, headers=bearer(admin), json={})
            assert response.status_code == 404, (method, path)
            assert response.json() == {"error": {"message": "Not found"}}
    assert "in organization 5f47d86c51755a001dc41b80" in (await last_request(client))["reason"]
    listed = await client.get(f"{V2}/contacts", headers=bearer(await other_admin(client)))
    assert [c["_id"] for c in listed.json()] == [OTHER_CONTACT]
    orgs = await client.get(f"{V2}/organizations", headers=bearer(admin))
    assert [o["_id"] for o in orgs.json()] == [DEMO_ORG]
    # Posting to another organization's conversation: 404, nothing written.
    before = (await state(client))["records"]["messages"]
    posted = await client.post(
        f"{V2}/conversations/{OTHER_CONVERSATION}/messages",
        json={"text": "hi"},
        headers=bearer(admin),
    )
    assert posted.status_code == 404
    assert (await state(client))["records"]["messages"] == before


async def test_created_records_belong_to_the_callers_organization(
    client: httpx.AsyncClient,
) -> None:
    admin = await token_of(client, "admin")
    created = await client.post(
        f"{V2}/contacts",
        json={"_id": "mine", "organization": OTHER_ORG, "createdAt": "x", "name": "New"},
        headers=bearer(admin),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["_id"] != "mine" and len(body["_id"]) == 24
    assert body["organization"] == DEMO_ORG
    assert body["createdAt"] == body["updatedAt"] == "2030-03-17T17:46:40.000Z"
    assert body["_id"].startswith(f"{1_900_000_000:08x}")  # ObjectId time, the emulator's
    other = await client.get(
        f"{V2}/contacts/{body['_id']}", headers=bearer(await other_admin(client))
    )
    assert other.status_code == 404


async def test_list_parameters_and_headers(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    for n in range(5):
        await client.post(
            f"{V2}/contacts", json={"name": f"c{n}", "rank": 5 - n}, headers=bearer(admin)
        )
    response = await client.get(
        f"{V2}/contacts",
        params={"limit": 2, "offset": 1, "sort": "-rank", "select": "name rank"},
        headers=bearer(admin),
    )
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "7"
    assert response.headers["x-limit"] == "2" and response.headers["x-offset"] == "1"
    assert response.json() == [
        {"_id": response.json()[0]["_id"], "name": "c1", "rank": 4},
        {"_id": response.json()[1]["_id"], "name": "c2", "rank": 3},
    ]
    by_name = await client.get(f"{V2}/contacts", params={"sort": "name"}, headers=bearer(admin))
    names = [c["name"] for c in by_name.json()]
    assert names == sorted(names)
    default = await client.get(f"{V2}/contacts", headers=bearer(admin))
    assert [c["_id"] for c in default.json()][:2] == [CONTACT, "5f47d86c51755a001dc41d02"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 500"),
        ({"limit": "501"}, "limit must be a whole number from 1 to 500"),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 500"),
        ({"limit": "-1"}, "limit must be a whole number from 1 to 500"),
        ({"offset": "1e3"}, "offset must be a whole number from 0 to 1,000,000,000"),
        ({"limit": "9" * 400}, "limit must be a whole number from 1 to 500"),
        ({"sort": " , "}, "sort must list 1 to 10 field names"),
        ({"select": ",".join("abcdefghijk")}, "select must list 1 to 10 field names"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    admin = await token_of(client, "admin")
    response = await client.get(f"{V2}/contacts", params=params, headers=bearer(admin))
    assert response.status_code == 400
    assert response.json() == {"error": {"message": message}}


async def test_patch_merges_top_level_fields(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    response = await client.patch(
        f"{V2}/contacts/{CONTACT}",
        json={"phone": "+31 20 123", "name": "Carla C.", "tags": {"vip": True}, "_id": "x"},
        headers=bearer(admin),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["_id"] == CONTACT
    assert body["email"] == "carla@example.com"  # untouched
    assert body["name"] == "Carla C." and body["phone"] == "+31 20 123"
    assert body["updatedAt"] == "2030-03-17T17:46:40.000Z"
    assert body["createdAt"] == "2024-01-01T00:00:00.000Z"
    again = await client.patch(
        f"{V2}/contacts/{CONTACT}", json={"tags": {"new": 1}}, headers=bearer(admin)
    )
    assert again.json()["tags"] == {"new": 1}  # top level only: the object is replaced


async def test_concurrent_patches_keep_every_field(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    await asyncio.gather(
        *(
            client.patch(f"{V2}/contacts/{CONTACT}", json={f"f{n}": n}, headers=bearer(admin))
            for n in range(20)
        )
    )
    record = (await client.get(f"{V2}/contacts/{CONTACT}", headers=bearer(admin))).json()
    assert all(record[f"f{n}"] == n for n in range(20))


async def test_put_replaces_a_message_and_keeps_what_the_server_owns(
    client: httpx.AsyncClient,
) -> None:
    bot = await token_of(client, "bot")
    response = await client.put(
        f"{V2}/messages/{MESSAGE}", json={"text": "replaced"}, headers=bearer(bot)
    )
    assert response.status_code == 200
    body = response.json()
    assert "role" not in body  # a field of the old record, gone
    assert body["text"] == "replaced"
    assert body["conversation"] == CONVERSATION and body["organization"] == DEMO_ORG
    put_elsewhere = await client.put(f"{V2}/contacts/{CONTACT}", json={}, headers=bearer(bot))
    assert put_elsewhere.status_code == 405


async def test_messages_post_to_a_conversation(client: httpx.AsyncClient) -> None:
    guest = await token_of(client, "guest")
    response = await client.post(
        f"{V2}/conversations/{CONVERSATION}/messages", json={"text": "hi"}, headers=bearer(guest)
    )
    assert response.status_code == 201
    assert response.json()["conversation"] == CONVERSATION
    unknown = await client.post(
        f"{V2}/messages", json={"conversation": "nope", "text": "x"}, headers=bearer(guest)
    )
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": {"message": 'conversation must name a conversation of yours, got "nope"'}
    }
    moved = await client.patch(
        f"{V2}/messages/{MESSAGE}",
        json={"conversation": OTHER_CONVERSATION},
        headers=bearer(await token_of(client, "admin")),
    )
    assert moved.status_code == 400


async def test_users_never_show_passwords_and_may_not_raise_their_role(
    client: httpx.AsyncClient,
) -> None:
    guest = await token_of(client, "guest")
    me = f"{V2}/users/{USERS['guest']['id']}"
    mine = await client.get(me, headers=bearer(guest))
    assert mine.status_code == 200
    assert mine.json()["email"] == "guest@example.org" and "password" not in mine.json()
    raised = await client.patch(me, json={"role": "admin"}, headers=bearer(guest))
    assert raised.status_code == 403
    assert "only an admin" in (await last_request(client))["reason"]
    renamed = await client.patch(
        me, json={"name": "G.", "password": "new-pw"}, headers=bearer(guest)
    )
    assert renamed.status_code == 200 and "password" not in renamed.json()
    old = await client.post(
        TOKEN_PATH, json={"email": "guest@example.org", "password": "guest-TEST-ONLY"}
    )
    assert old.status_code == 401
    new = await client.post(TOKEN_PATH, json={"email": "guest@example.org", "password": "new-pw"})
    assert new.status_code == 201


async def test_admins_create_users_who_can_log_in(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    created = await client.post(
        f"{V2}/users",
        json={"email": "New.Agent@example.org", "password": "pw", "role": "agent"},
        headers=bearer(admin),
    )
    assert created.status_code == 201
    assert created.json()["email"] == "new.agent@example.org"
    assert "password" not in created.json()
    issued = await client.post(
        TOKEN_PATH, json={"email": "new.agent@example.org", "password": "pw"}
    )
    assert issued.status_code == 201 and issued.json()["scope"] == "agent"
    assert issued.json()["organization"] == DEMO_ORG
    taken = await client.post(
        f"{V2}/users",
        json={"email": "ADMIN@example.org", "password": "pw"},
        headers=bearer(admin),
    )
    assert taken.status_code == 409
    assert taken.json() == {
        "error": {"message": "a user with email 'ADMIN@example.org' exists already"}
    }
    for body, message in (
        ({"password": "pw"}, "email must be an email address"),
        ({"email": "x@y"}, "password must be a non-empty string"),
        (
            {"email": "x@y", "password": "pw", "role": "root"},
            "role must be one of guest, agent, bot, admin",
        ),
    ):
        refused = await client.post(f"{V2}/users", json=body, headers=bearer(admin))
        assert refused.status_code == 400
        assert refused.json() == {"error": {"message": message}}


async def test_an_organization_cannot_delete_itself(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin")
    response = await client.delete(f"{V2}/organizations/{DEMO_ORG}", headers=bearer(admin))
    assert response.status_code == 403
    assert any(r["_id"] == DEMO_ORG for r in (await state(client))["records"]["organizations"])


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/" + "9" * 5000,
        "/contacts/%ED%A0%80",
        "/contacts/..%2F..%2Fetc",
        "/contacts/%00",
        "/users/' OR 1=1 --",
    ],
)
async def test_hostile_ids_are_404(client: httpx.AsyncClient, path: str) -> None:
    admin = await token_of(client, "admin")
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, V2 + path, headers=bearer(admin), json={})
        assert response.status_code == 404, (method, path, response.text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[]", "body is an array, not an object"),
        (b'"text"', "body is a string, not an object"),
        (b'{"a": NaN}', "body holds NaN or Infinity, which is not JSON"),
        (b'{"a": "\\ud800"}', "body holds text that is not valid Unicode"),
        *(
            pytest.param(
                '{"a": "\\ud800"}'.encode(encoding),
                "body holds text that is not valid Unicode",
                id=f"escaped-lone-surrogate-in-{encoding}",
            )
            for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
        ),
        (b"[" * 60_000, "body is nested too deeply"),  # under the 64 KiB body limit
        (b"\xff\xfe", "body is not JSON"),
    ],
)
async def test_hostile_bodies_are_400_and_write_nothing(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    admin = await token_of(client, "admin")
    before = (await state(client))["records"]
    for method, path in (("POST", "/contacts"), ("PATCH", f"/contacts/{CONTACT}")):
        response = await client.request(method, V2 + path, content=content, headers=bearer(admin))
        assert response.status_code == 400, (method, response.text)
        assert response.json() == {"error": {"message": message}}
    assert (await state(client))["records"] == before


async def test_records_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, fixtures_dir=fixture_dir(tmp_path, rate_limit_per_second=0))
    async for c in in_process(settings):
        await frozen(c)
        issued = await login(c, "admin")
        created = await c.post(
            f"{V2}/kbitems", json={"title": "kept"}, headers=bearer(issued["token"])
        )
        kb_id = created.json()["_id"]
    async for c in in_process(settings):
        fetched = await c.get(f"{V2}/kbitems/{kb_id}", headers=bearer(issued["token"]))
        assert fetched.status_code == 200 and fetched.json()["title"] == "kept"
        refreshed = await c.post(
            TOKEN_PATH,
            json={"refreshToken": issued["refreshToken"], "clientId": USERS["admin"]["email"]},
        )
        assert refreshed.status_code == 201


async def test_unknown_routes_and_methods_answer_in_web1on1s_shape(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get(f"{V2}/widgets")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Not Found"}}
    wrong = await client.put(f"{V2}/contacts")
    assert wrong.status_code == 405
    assert wrong.json() == {"error": {"message": "Method Not Allowed"}}


async def test_a_restart_keeps_what_the_api_changed(tmp_path: Path) -> None:
    """Fixtures fill an empty store only: a restart neither rewrites nor revives records."""
    settings = make_settings(tmp_path, fixtures_dir=fixture_dir(tmp_path, rate_limit_per_second=0))
    async for c in in_process(settings):
        await frozen(c)
        admin = bearer(await token_of(c, "admin"))
        await c.patch(f"{V2}/contacts/{CONTACT}", json={"name": "Renamed"}, headers=admin)
        await c.delete(f"{V2}/contacts/5f47d86c51755a001dc41d02", headers=admin)
        guest = f"{V2}/users/{USERS['guest']['id']}"
        await c.patch(guest, json={"email": "renamed-guest@example.org"}, headers=admin)
        # The fixture guest's email, taken by a new user: the old seed crashed on it.
        taken = await c.post(
            f"{V2}/users", json={"email": "guest@example.org", "password": "p"}, headers=admin
        )
        assert taken.status_code == 201
        await c.delete(f"{V2}/users/{USERS['bot']['id']}", headers=admin)
        await c.delete("/_emulator/web1on1/api-keys/5f47d86c51755a001dc41c02")
    async for c in in_process(settings):
        await frozen(c)
        admin = bearer(await token_of(c, "admin"))
        contact = await c.get(f"{V2}/contacts/{CONTACT}", headers=admin)
        assert contact.json()["name"] == "Renamed"
        gone = await c.get(f"{V2}/contacts/5f47d86c51755a001dc41d02", headers=admin)
        assert gone.status_code == 404
        bot = await c.post(
            TOKEN_PATH, json={"email": USERS["bot"]["email"], "password": USERS["bot"]["password"]}
        )
        assert bot.status_code == 401
        keys = (await c.get("/_emulator/web1on1/api-keys")).json()["api_keys"]
        assert [k["revoked_at"] for k in keys if k["id"].endswith("c02")] != [None]
        # A reset makes the store the fixtures again.
        await c.post("/_emulator/reset")
        await frozen(c)
        assert (await login(c, "bot"))["scope"] == "bot"


async def test_a_record_at_the_depth_limit_is_listed(client: httpx.AsyncClient) -> None:
    admin = bearer(await token_of(client, "admin"))
    deep: object = "leaf"
    for _ in range(63):  # with the record itself, 64 levels: the most accepted
        deep = [deep]
    created = await client.post(f"{V2}/kbitems", json={"a": deep}, headers=admin)
    assert created.status_code == 201
    listed = await client.get(f"{V2}/kbitems", params={"sort": "a"}, headers=admin)
    assert listed.status_code == 200
    deeper = await client.post(f"{V2}/kbitems", json={"a": [deep]}, headers=admin)
    assert deeper.status_code == 400
    assert deeper.json() == {"error": {"message": "body is nested more than 64 levels deep"}}


async def test_forty_concurrent_patches_all_succeed(client: httpx.AsyncClient) -> None:
    admin = bearer(await token_of(client, "admin"))
    responses = await asyncio.gather(
        *(
            client.patch(f"{V2}/contacts/{CONTACT}", json={f"f{n}": n}, headers=admin)
            for n in range(40)
        )
    )
    assert [r.status_code for r in responses] == [200] * 40
    record = (await client.get(f"{V2}/contacts/{CONTACT}", headers=admin)).json()
    assert all(record[f"f{n}"] == n for n in range(40))


async def test_an_email_with_a_trailing_newline_is_refused(client: httpx.AsyncClient) -> None:
    admin = bearer(await token_of(client, "admin"))
    response = await client.post(
        f"{V2}/users", json={"email": "nl@x.y\n", "password": "p"}, headers=admin
    )
    assert response.status_code == 400


async def test_select_with_minus_drops_fields(client: httpx.AsyncClient) -> None:
    admin = bearer(await token_of(client, "admin"))
    listed = await client.get(f"{V2}/contacts", params={"select": "-email,-name"}, headers=admin)
    assert listed.status_code == 200
    assert all("email" not in c and "name" not in c and "_id" in c for c in listed.json())
