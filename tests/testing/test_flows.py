"""The one-call flows against the default fixtures: each token works on a protected call."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.conftest import FIXTURES
from token_emulator.core.tokens import read_unverified
from token_emulator.testing import (
    EmulatorAdminAuth,
    EmulatorProcess,
    FlowError,
    eightbyeight_token,
    uneeq_token,
    unifize_access_token,
    unifize_demo_private_key,
    web1on1_login,
    widget_session,
)

UNEEQ_START = "/uneeq/api/v2/clients/start-session"
WIDGET_API = "/widget/api/v1/widget"


def start_session(http: httpx.Client, token: str, workspace: str = "demo") -> httpx.Response:
    return http.post(
        UNEEQ_START, json={"workspaceName": workspace, "sessionType": 0, "tokenId": token}
    )


def test_uneeq_token_starts_a_session(live: httpx.Client) -> None:
    token = uneeq_token(live)
    started = start_session(live, token)
    assert started.status_code == 200
    assert started.headers["x-auth-token"]
    # Single use: the flow's token is the real thing, not a reusable stand-in.
    assert start_session(live, token).status_code == 401


def test_uneeq_token_through_a_region_with_custom_data(live: httpx.Client) -> None:
    token = uneeq_token(live, "demo-eu", region="eu", sid="s-1", custom_data={"plan": "gold"})
    assert (
        live.post(
            "/uneeq/eu/api/v2/clients/start-session",
            json={"workspaceName": "demo-eu", "sessionType": 0, "tokenId": token},
        ).status_code
        == 200
    )
    tokens = live.get("/_emulator/state/uneeq").json()["tokens"]
    assert [(t["workspace_id"], t["sid"], t["custom_data"]) for t in tokens] == [
        ("demo-eu", "s-1", '{"plan": "gold"}')
    ]


def test_unifize_access_token_reads_chatrooms(live: httpx.Client) -> None:
    token = unifize_access_token(live)
    rooms = live.get("/unifize/chatroom", headers={"authorization": f"Bearer {token}"})
    assert rooms.status_code == 200
    assert sorted(room["id"] for room in rooms.json()) == [1001, 1002]


def test_unifize_installation_token_for_org_2(live: httpx.Client) -> None:
    token = unifize_access_token(live, 101, org_id=2)
    rooms = live.get("/unifize/chatroom", headers={"authorization": f"Bearer {token}"})
    assert [room["id"] for room in rooms.json()] == [2001]


def test_unifize_assertion_follows_a_moved_clock(live: httpx.Client) -> None:
    # Two hours ahead, an assertion stamped with real time would have expired.
    live.post("/_emulator/clock", json={"advance": 7200}).raise_for_status()
    token = unifize_access_token(live)
    info = live.post("/unifize/application/tokeninfo", json={"token": token})
    assert info.status_code == 200
    assert info.json()["appId"] == 101


def test_unifize_key_as_a_path_or_text(live: httpx.Client, tmp_path: Path) -> None:
    pem_file = tmp_path / "key.pem"
    pem_file.write_text(unifize_demo_private_key())
    assert unifize_access_token(live, key=pem_file)
    assert unifize_access_token(live, 102, unifize_demo_private_key())


def test_unifize_unregistered_key_is_refused_with_the_reason(live: httpx.Client) -> None:
    other = RSAKey.generate_key(2048).as_pem(private=True).decode()
    with pytest.raises(FlowError) as refused:
        unifize_access_token(live, key=other)
    error = refused.value
    assert error.status == 401
    assert error.reason == "signature does not verify with any of app 101's 1 registered keys"
    assert error.step == "unifize: exchange the assertion for an access token"
    assert '"error":"unauthorized"' in error.body.replace(" ", "")


def test_eightbyeight_agent_token_reads_call_logs(live: httpx.Client) -> None:
    answer = eightbyeight_token(live)
    assert set(answer) == {"auth_token"}
    logs = live.get("/8x8/api/v1/call-logs", headers={"x-token": answer["auth_token"]})
    assert logs.status_code == 200
    assert logs.json() == {"calls": [], "next_cursor": None}


def test_eightbyeight_room_with_phone_number(live: httpx.Client) -> None:
    answer = eightbyeight_token(
        live, create_room=True, phone_number="+6512345678", call_reference="ref-12345"
    )
    assert answer["call_reference"] == "ref-12345"
    login = live.get("/8x8/", params={"user": "agent@example.com", "token": answer["auth_token"]})
    assert login.status_code == 200
    assert live.get(answer["guest_link"].removeprefix(str(live.base_url))).status_code == 200
    assert [sms["to"] for sms in live.get("/_emulator/state/8x8").json()["outbox"]] == [
        "+6512345678"
    ]


def test_web1on1_login_defaults_to_the_first_admin(live: httpx.Client) -> None:
    answer = web1on1_login(live)
    assert answer["scope"] == "admin"
    assert answer["user"] == "599e1fcd9da1c72645c95886"
    contacts = live.get(
        "/web1on1/v2/contacts", headers={"authorization": f"Bearer {answer['token']}"}
    )
    assert contacts.status_code == 200
    assert len(contacts.json()) == 2


def test_web1on1_login_with_an_email_finds_its_password(live: httpx.Client) -> None:
    assert web1on1_login(live, "AGENT@example.org")["scope"] == "agent"
    assert web1on1_login(live, "guest@example.org", "guest-TEST-ONLY")["scope"] == "guest"
    with pytest.raises(FlowError) as refused:
        web1on1_login(live, "guest@example.org", "wrong")
    assert (refused.value.status, refused.value.body) == (
        401,
        '{"error":{"message":"Invalid email or password"}}',
    )
    assert refused.value.reason is not None


def _refresh(http: httpx.Client, session: dict[str, object]) -> httpx.Response:
    return http.post(f"{WIDGET_API}/auth/refresh", json={"refresh_token": session["session_token"]})


def test_widget_guest_session_refreshes(live: httpx.Client) -> None:
    session = widget_session(live)
    assert session["expires_in"] == 900
    claims = read_unverified(str(session["session_token"])).claims
    assert (claims["kind"], claims["client_key"]) == ("guest", "pk_live_acme_TESTONLYmain0001")
    assert _refresh(live, session).status_code == 200


def test_widget_user_session_with_the_accounts_secret_key(live: httpx.Client) -> None:
    session = widget_session(live, user_id="user-42", display_name="Ada")
    claims = read_unverified(str(session["session_token"])).claims
    assert (claims["kind"], claims["sub"], claims["display_name"]) == ("user", "user-42", "Ada")
    assert _refresh(live, session).status_code == 200
    globex = widget_session(live, client_key="pk_live_globex_TESTONLYmain0001", user_id="g-1")
    assert read_unverified(str(globex["session_token"])).claims["account"] == "globex"


def test_widget_refused_origin(live: httpx.Client) -> None:
    with pytest.raises(FlowError) as refused:
        widget_session(live, origin="https://evil.example")
    error = refused.value
    assert (error.status, error.body) == (403, "Origin not in allowlist for this client_key")
    assert error.step == "widget: guest visitor token"
    assert "https://evil.example" in (error.reason or "")
    assert str(error).startswith(
        "widget: guest visitor token refused: POST /widget/api/v1/widget/auth/guest answered 403"
    )


def test_refusal_names_status_body_and_reason(live: httpx.Client) -> None:
    with pytest.raises(FlowError) as refused:
        uneeq_token(live, secret="not-the-secret")
    error = refused.value
    assert (error.status, error.body) == (401, "Unauthorized")
    assert error.reason == "signature does not verify with workspace demo's secret"
    assert str(error) == (
        "uneeq: request a single-use token refused: POST /uneeq/api/v1/clients/access/tokens "
        "answered 401; x-emulator-reason: signature does not verify with workspace demo's "
        "secret; body: 'Unauthorized'"
    )


def test_fixtures_argument_reads_another_directory(live: httpx.Client, tmp_path: Path) -> None:
    (tmp_path / "uneeq.toml").write_text(
        '[[workspaces]]\nid = "demo"\nsecret = "another-secret"\nregion = "us"\n'
    )
    # The server runs on the default fixtures, so this directory's secret is refused.
    with pytest.raises(FlowError) as refused:
        uneeq_token(live, fixtures=tmp_path)
    assert refused.value.status == 401


def test_each_step_is_logged(live: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="token_emulator.testing.flows"):
        widget_session(live)
    assert [record.getMessage() for record in caplog.records] == [
        "widget: guest visitor token: POST /widget/api/v1/widget/auth/guest -> 200",
        "widget: exchange the visitor token for a session: "
        "POST /widget/api/v1/widget/auth/exchange -> 200",
    ]


@pytest.mark.anyio
async def test_flows_take_an_async_client(client: httpx.AsyncClient) -> None:
    """The same helpers, awaited, with the in-process app's AsyncClient."""
    token = await uneeq_token(client)
    started = await client.post(
        UNEEQ_START, json={"workspaceName": "demo", "sessionType": 0, "tokenId": token}
    )
    assert started.status_code == 200
    access = await unifize_access_token(client)
    rooms = await client.get("/unifize/chatroom", headers={"authorization": f"Bearer {access}"})
    assert rooms.status_code == 200
    room = await eightbyeight_token(client, create_room=True)
    logs = await client.get("/8x8/api/v1/call-logs", headers={"x-token": room["auth_token"]})
    assert [call["call_reference"] for call in logs.json()["calls"]] == [room["call_reference"]]
    login = await web1on1_login(client)
    me = await client.get(
        f"/web1on1/v2/users/{login['user']}", headers={"authorization": f"Bearer {login['token']}"}
    )
    assert me.status_code == 200
    session = await widget_session(client, user_id="async-user")
    refreshed = await client.post(
        f"{WIDGET_API}/auth/refresh", json={"refresh_token": session["session_token"]}
    )
    assert refreshed.status_code == 200
    with pytest.raises(FlowError) as refused:
        await uneeq_token(client, "no-such-workspace", secret="x")
    assert (refused.value.status, refused.value.reason) == (
        403,
        "unknown workspace 'no-such-workspace'",
    )


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> object:
    directory = tmp_path_factory.mktemp("guarded")
    process = EmulatorProcess(
        directory / "db.sqlite3", fixtures=FIXTURES, extra_args=("--admin-token", "qa-admin")
    )
    with process:
        yield process


def test_admin_auth_reaches_the_control_plane_only(guarded: EmulatorProcess) -> None:
    with httpx.Client(base_url=guarded.url, auth=EmulatorAdminAuth("qa-admin")) as http:
        http.post("/_emulator/clock", json={"advance": 7200}).raise_for_status()
        # The flow reads the moved clock through the admin token, and its own Bearer
        # (the assertion) is not replaced by the admin token.
        token = unifize_access_token(http)
        assert (
            http.get("/unifize/chatroom", headers={"authorization": f"Bearer {token}"}).status_code
            == 200
        )
        http.post("/_emulator/reset").raise_for_status()
    assert httpx.get(f"{guarded.url}/_emulator/clock").status_code == 401


def test_unreadable_clock_falls_back_to_real_time(
    guarded: EmulatorProcess, caplog: pytest.LogCaptureFixture
) -> None:
    with httpx.Client(base_url=guarded.url) as http, caplog.at_level(logging.WARNING):
        token = unifize_access_token(http)
    assert token
    assert "the emulator clock is not readable (401); using real time" in caplog.text


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>not the emulator</html>", "got no JSON"),
        (b'{"token": 42}', "got JSON without a 'token' string"),
        (b"[]", "got JSON without a 'token' string"),
    ],
)
def test_a_200_without_the_token_is_a_flow_error(body: bytes, problem: str) -> None:
    """Pointed at something that is not the emulator (a stand-in server, not our code)."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with (
        httpx.Client(transport=transport, base_url="http://elsewhere.test") as http,
        pytest.raises(FlowError) as wrong,
    ):
        uneeq_token(http)
    assert str(wrong.value).startswith(
        f"uneeq: request a single-use token {problem}: POST /uneeq/api/v1/clients/access/tokens "
        "answered 200"
    )
