"""The `token_emulator` handle against the real emulator process of this session."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from token_emulator.settings import default_fixtures_dir
from token_emulator.testing import uneeq_request_jwt
from token_emulator.testing.plugin import EmulatorRefused, TokenEmulator

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


def request_token(emulator: TokenEmulator, workspace: str = "demo", secret: str = SECRET) -> str:
    response = httpx.post(
        f"{emulator.vendor_url('uneeq')}/api/v1/clients/access/tokens",
        headers={"workspace": workspace, "content-type": "application/jwt"},
        content=uneeq_request_jwt(secret, workspace, sid="plugin-test"),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def start_session(emulator: TokenEmulator, token: str, workspace: str = "demo") -> httpx.Response:
    return httpx.post(
        f"{emulator.vendor_url('uneeq')}/api/v2/clients/start-session",
        json={"workspaceName": workspace, "sessionType": 0, "tokenId": token},
    )


def test_fixture_directory(token_emulator: TokenEmulator) -> None:
    expected = os.environ.get("EXPECTED_FIXTURES") or str(default_fixtures_dir())
    health = token_emulator.http.get("/_emulator/health").json()
    assert health["fixtures"]["directory"] == expected


def test_uneeq_token_flow(token_emulator: TokenEmulator) -> None:
    assert token_emulator.vendor_url("uneeq") == f"{token_emulator.url}/uneeq"
    session = start_session(token_emulator, request_token(token_emulator))
    assert session.status_code == 200
    [redeemed] = token_emulator.state("uneeq")["tokens"]
    assert redeemed["status"] == "redeemed"
    assert redeemed["sid"] == "plugin-test"


def test_clock_advance_expires_the_token(token_emulator: TokenEmulator) -> None:
    token = request_token(token_emulator)
    before = token_emulator.now()
    after = token_emulator.advance(timedelta(seconds=301))  # the workspace's ttl is 300 s
    assert after - before >= timedelta(seconds=301)
    refused = start_session(token_emulator, token)
    assert refused.status_code == 401
    [entry] = token_emulator.requests(vendor="uneeq", route="start-session", status=401)
    assert entry["reason"].startswith("token expired at ")


def test_set_time_and_freeze(token_emulator: TokenEmulator) -> None:
    token_emulator.freeze()
    assert token_emulator.clock()["frozen"] is True
    # A naive datetime is UTC, as a string without an offset is to the control plane.
    moved = token_emulator.set_time(datetime(2030, 1, 2, 3, 4, 5))
    assert moved == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert token_emulator.now() == moved  # frozen: it stays there
    assert token_emulator.set_time("2031-01-01T00:00:00Z").year == 2031
    assert token_emulator.real_time().year < 2030
    assert token_emulator.clock()["frozen"] is False


def test_fault_forces_a_500_once(token_emulator: TokenEmulator) -> None:
    fault = token_emulator.fault("uneeq", route="token", status=500)
    assert fault["times_left"] == 1
    assert [f["id"] for f in token_emulator.faults()] == [fault["id"]]
    response = httpx.post(
        f"{token_emulator.vendor_url('uneeq')}/api/v1/clients/access/tokens",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "demo"),
    )
    assert response.status_code == 500
    [forced] = token_emulator.requests(status=500)
    assert forced["forced"] is True
    assert token_emulator.faults() == []
    request_token(token_emulator)  # used up: the next one is served
    token_emulator.fault("uneeq", status=503, times=5)
    token_emulator.clear_faults()
    assert token_emulator.faults() == []


def test_add_fixtures_then_use_them(token_emulator: TokenEmulator) -> None:
    secret = "test-only-uneeq-secret-qa-0123456789abcdef"
    added = token_emulator.add_fixtures(
        "uneeq",
        {"workspaces": [{"id": "qa", "secret": secret, "region": "us", "token_ttl_seconds": 60}]},
    )
    assert added == {"vendor": "uneeq", "added": {"workspaces": 1}}
    token = request_token(token_emulator, "qa", secret)
    assert start_session(token_emulator, token, "qa").status_code == 200
    assert "qa" in [w["id"] for w in token_emulator.state("uneeq")["workspaces"]]


def test_requests_filters(token_emulator: TokenEmulator) -> None:
    request_token(token_emulator)
    unknown = httpx.post(
        f"{token_emulator.vendor_url('uneeq')}/api/v1/clients/access/tokens",
        headers={"workspace": "nobody", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "nobody"),
    )
    assert unknown.status_code == 403
    [refused] = token_emulator.requests(vendor="uneeq", status="4xx")
    assert refused["reason"] == "unknown workspace 'nobody'"
    assert [e["status"] for e in token_emulator.requests(route="uneeq:token")] == [403, 200]
    assert len(token_emulator.requests(route="token", limit=1)) == 1
    assert token_emulator.requests(vendor="unifize") == []
    token_emulator.clear_requests()
    assert token_emulator.requests() == []


def test_each_test_starts_from_the_fixtures(token_emulator: TokenEmulator) -> None:
    # Whatever ran before on this emulator (a workspace added, the clock moved,
    # a fault left) is gone.
    assert token_emulator.requests() == []
    assert token_emulator.faults() == []
    assert token_emulator.clock()["offset_seconds"] == 0
    assert [w["id"] for w in token_emulator.state("uneeq")["workspaces"]] == ["demo", "demo-eu"]


def test_refusals_carry_the_control_planes_message(token_emulator: TokenEmulator) -> None:
    with pytest.raises(EmulatorRefused, match="400 unknown vendor 'nobody'; valid: ") as refused:
        token_emulator.fault("nobody", status=500)
    assert refused.value.status == 400
    with pytest.raises(EmulatorRefused) as rejected:
        token_emulator.add_fixtures("uneeq", {"workspaces": [{"id": "demo"}]})
    assert rejected.value.error == "fixtures rejected"
    assert rejected.value.problems
    with pytest.raises(EmulatorRefused, match="is not an ISO-8601 instant"):
        token_emulator.set_time("next tuesday")
    with pytest.raises(ValueError, match="unknown vendor 'nobody'; known: uneeq, "):
        token_emulator.vendor_url("nobody")
