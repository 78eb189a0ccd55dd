"""Guest links and agent logins: room expiry by the emulator clock, the SMS outbox."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.eightbyeight.conftest import (
    AGENT,
    NOW_ISO,
    OTHER_KEY,
    PHONE,
    SECOND_AGENT,
    advance,
    assert_page_refused,
    buy,
    login,
    room,
    room_id,
    state,
)

pytestmark = pytest.mark.anyio

GONE = "This video room has expired"
NOT_VALID = "This login link is not valid"


async def guest(http: httpx.AsyncClient, link: str) -> httpx.Response:
    return await http.get(link.removeprefix("http://emulator.test"))


# --- guest link --------------------------------------------------------------------


async def test_the_guest_link_is_valid_for_exactly_15_minutes(client: httpx.AsyncClient) -> None:
    link = (await room(client, call_reference="ref-boundary"))["guest_link"]
    page = await guest(client, link)
    assert page.status_code == 200 and "ref-boundary" in page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    await advance(client, 899)
    assert (await guest(client, link)).status_code == 200
    assert (await state(client))["rooms"][0]["status"] == "active"
    await advance(client, 1)
    await assert_page_refused(
        client,
        await guest(client, link),
        410,
        GONE,
        f"room {room_id(link)} expired at 2030-03-17T18:01:40.129Z",
    )
    assert (await state(client))["rooms"][0]["status"] == "expired"
    await advance(client, 3600)
    assert (await guest(client, link)).status_code == 410


async def test_14_59_after_creation_is_still_valid(client: httpx.AsyncClient) -> None:
    link = (await room(client))["guest_link"]
    await advance(client, 14 * 60 + 59.999)
    assert (await guest(client, link)).status_code == 200
    await advance(client, 0.001)
    assert (await guest(client, link)).status_code == 410


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/8x8/guest/nope", "no room 'nope'"),
        (f"/8x8/guest/{'r' * 5000}", f"no room {'r' * 64!r}"),
        ("/8x8/guest/%3Cscript%3Ealert(1)", "no room '<script>alert(1)'"),
        ("/8x8/guest/%C3%A9t%C3%A9", "no room 'été'"),
    ],
    ids=["unknown", "huge", "markup", "unicode"],
)
async def test_unknown_rooms_are_404(client: httpx.AsyncClient, path: str, reason: str) -> None:
    await assert_page_refused(
        client, await client.get(path), 404, "There is no such video room.", reason
    )


# --- agent login -------------------------------------------------------------------


async def test_an_agent_logs_in_to_the_tokens_room(client: httpx.AsyncClient) -> None:
    answer = await room(client, call_reference="ref-login-1")
    response = await login(client, answer["auth_token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for text in ("Agent in the room", AGENT, "ref-login-1", answer["guest_link"]):
        assert text in response.text
    held = await state(client)
    assert held["tokens"][0]["logins"] == [
        {"email": AGENT, "room_id": room_id(answer["guest_link"]), "time": NOW_ISO}
    ]
    assert held["outbox"] == []  # no phone number, no SMS
    entry = await last_request(client, vendor="8x8")
    assert (entry["route"], entry["status"], entry["reason"]) == ("8x8:agent-login", 200, None)


async def test_agent_emails_compare_case_insensitively(client: httpx.AsyncClient) -> None:
    token = (await room(client))["auth_token"]
    assert (await login(client, token, "Second.Agent@EXAMPLE.com")).status_code == 200
    # The login is recorded under the email as the fixtures write it.
    assert (await state(client))["tokens"][0]["logins"][0]["email"] == SECOND_AGENT


async def test_echoed_values_are_html_escaped(client: httpx.AsyncClient) -> None:
    token = (await room(client, call_reference="<b>&'\"x</b>"))["auth_token"]
    response = await login(client, token)
    assert "&lt;b&gt;&amp;&#x27;&quot;x&lt;/b&gt;" in response.text
    assert "<b>" not in response.text


async def test_the_sms_goes_out_once_per_login_never_at_creation(
    client: httpx.AsyncClient,
) -> None:
    answer = await room(client, phone_number=PHONE)
    assert (await state(client))["outbox"] == []
    assert (await login(client, answer["auth_token"])).status_code == 200
    outbox = (await state(client))["outbox"]
    assert outbox == [
        {
            "to": PHONE,
            "body": f"Join the video call: {answer['guest_link']}",
            "time": NOW_ISO,
            "room_id": room_id(answer["guest_link"]),
        }
    ]
    await advance(client, 60)
    assert (await login(client, answer["auth_token"], SECOND_AGENT)).status_code == 200
    outbox = (await state(client))["outbox"]
    assert len(outbox) == 2 and outbox[1]["time"] == "2030-03-17T17:47:40.129Z"
    # A refused login sends nothing.
    assert (await login(client, answer["auth_token"], "nobody@example.com")).status_code == 403
    assert len((await state(client))["outbox"]) == 2


async def test_a_token_without_a_room_makes_one_at_its_first_login(
    client: httpx.AsyncClient,
) -> None:
    token = (await buy(client, {"phone_number": PHONE, "call_reference": "kept-ref-1"}))[
        "auth_token"
    ]
    await advance(client, 300)
    assert (await login(client, token)).status_code == 200
    held = await state(client)
    [made] = held["rooms"]
    assert made["call_reference"] == "kept-ref-1" and made["phone_number"] == PHONE
    # Valid room_ttl_seconds from the login, not from the purchase.
    assert (made["created_at"], made["expires_at"]) == (
        "2030-03-17T17:51:40.129Z",
        "2030-03-17T18:06:40.129Z",
    )
    assert held["tokens"][0]["room_id"] == made["id"]
    assert held["outbox"][0]["body"] == f"Join the video call: {made['guest_link']}"
    # A later login reuses that room.
    await advance(client, 60)
    assert (await login(client, token, SECOND_AGENT)).status_code == 200
    held = await state(client)
    assert len(held["rooms"]) == 1
    assert [entry["room_id"] for entry in held["tokens"][0]["logins"]] == [made["id"]] * 2
    assert len(held["outbox"]) == 2


async def test_an_empty_body_token_gets_a_generated_reference_and_no_sms(
    client: httpx.AsyncClient,
) -> None:
    token = (await buy(client))["auth_token"]
    assert (await login(client, token)).status_code == 200
    held = await state(client)
    assert 8 <= len(held["rooms"][0]["call_reference"]) <= 20
    assert held["outbox"] == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "query parameter user and token missing or empty"),
        ({"user": AGENT}, "query parameter token missing or empty"),
        ({"token": "t"}, "query parameter user missing or empty"),
        ({"user": "", "token": ""}, "query parameter user and token missing or empty"),
        ([("user", AGENT), ("user", SECOND_AGENT), ("token", "t")], "user given 2 times"),
        ([("user", AGENT), ("token", "a"), ("token", "b")], "token given 2 times"),
    ],
    ids=["none", "no-token", "no-user", "empty", "two-users", "two-tokens"],
)
async def test_malformed_login_links_are_400(
    client: httpx.AsyncClient, params: object, reason: str
) -> None:
    response = await client.get("/8x8/", params=params)  # type: ignore[arg-type]
    await assert_page_refused(client, response, 400, "400 Bad Request", reason)


async def test_an_unknown_agent_is_403(client: httpx.AsyncClient) -> None:
    token = (await room(client, phone_number=PHONE))["auth_token"]
    response = await login(client, token, "<i>intruder</i>@example.com")
    await assert_page_refused(
        client,
        response,
        403,
        "This agent may not log in",
        "agent '<i>intruder</i>@example.com' is not in [[agents]]",
    )
    assert "<i>" not in response.text
    held = await state(client)
    assert held["tokens"][0]["logins"] == [] and held["outbox"] == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-token", "auth token refused: not a compact JWS (Invalid JSON Web Signature)"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl",
            "auth token signature does not verify: not issued here",
        ),
        ("x" * 9000, "auth token is 9000 bytes, over the 8 KiB limit"),
    ],
    ids=["garbage", "forged", "huge"],
)
async def test_unknown_tokens_are_401(client: httpx.AsyncClient, token: str, reason: str) -> None:
    await assert_page_refused(client, await login(client, token), 401, NOT_VALID, reason)


async def test_a_token_forgotten_by_a_reset_is_401(client: httpx.AsyncClient) -> None:
    token = (await room(client))["auth_token"]
    await client.post("/_emulator/reset")
    await assert_page_refused(
        client,
        await login(client, token),
        401,
        NOT_VALID,
        "auth token unknown (a reset forgets issued tokens)",
    )


async def test_an_expired_token_is_401(client: httpx.AsyncClient) -> None:
    token = (await buy(client))["auth_token"]
    await advance(client, 899)
    assert (await login(client, token)).status_code == 200  # makes a room until 899 + 900
    await advance(client, 1)
    await assert_page_refused(
        client,
        await login(client, token),
        401,
        NOT_VALID,
        "auth token expired at 2030-03-17T18:01:40.129Z",
    )
    never_used = (await buy(client))["auth_token"]
    await advance(client, 900)
    assert (await login(client, never_used)).status_code == 401
    assert len((await state(client))["rooms"]) == 1


async def test_an_expired_room_is_410(client: httpx.AsyncClient) -> None:
    answer = await room(client, phone_number=PHONE)
    await advance(client, 899)
    assert (await login(client, answer["auth_token"])).status_code == 200
    await advance(client, 1)
    response = await login(client, answer["auth_token"])
    await assert_page_refused(
        client,
        response,
        410,
        GONE,
        f"room {room_id(answer['guest_link'])} expired at 2030-03-17T18:01:40.129Z",
    )
    held = await state(client)
    assert len(held["tokens"][0]["logins"]) == 1 and len(held["outbox"]) == 1


async def test_any_api_keys_token_logs_any_agent_in(client: httpx.AsyncClient) -> None:
    token = (await room(client, key=OTHER_KEY))["auth_token"]
    assert (await login(client, token, SECOND_AGENT)).status_code == 200


async def test_login_without_trailing_slash_redirects_with_the_query(
    client: httpx.AsyncClient,
) -> None:
    token = (await room(client))["auth_token"]
    response = await client.get("/8x8", params={"user": AGENT, "token": token})
    assert response.status_code == 307
    assert response.headers["location"].startswith("http://emulator.test/8x8/?user=")
    followed = await client.get(response.headers["location"])
    assert followed.status_code == 200
