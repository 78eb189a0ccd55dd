"""Property-based and hand-picked hostile input: 8x8's routes never answer 5xx.

Runs against the session's real server, whose log must hold no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vendors.eightbyeight.conftest import (
    AGENT,
    CALL_LOGS_PATH,
    DEMO_KEY,
    ERROR_FIELDS,
    TOKEN_PATH,
    bearer,
)
from token_emulator.testing import EmulatorProcess

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=25)
    | st.from_regex(r"\+[0-9]{6,17}", fullmatch=True),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
token_bodies = st.dictionaries(
    st.sampled_from(["create_room", "phone_number", "call_reference", "other"]), values
)
query_text = st.text(max_size=40)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client
        assert client.get("/_emulator/state/8x8").status_code == 200
    assert server.log_path is not None
    assert "Traceback" not in server.log_path.read_text()


@pytest.fixture(scope="module")
def auth_token(http: httpx.Client) -> str:
    response = http.post(TOKEN_PATH, headers=bearer(), json={"create_room": True})
    token: str = response.json()["auth_token"]
    return token


def assert_json_refusal_or_success(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert set(response.json()) == ERROR_FIELDS
        assert response.headers.get("x-emulator-reason")


def assert_page_or_refusal_page(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    if response.status_code != 200:
        assert response.headers.get("x-emulator-reason")


@FUZZ
@given(body=token_bodies.map(json.dumps) | values.map(json.dumps) | st.binary(max_size=60))
def test_token_bodies_never_fail(http: httpx.Client, body: str | bytes) -> None:
    response = http.post(TOKEN_PATH, headers=bearer(), content=body)
    assert_json_refusal_or_success(response)
    if response.status_code == 400:
        assert response.json()["code"] == 1000


@FUZZ
@given(
    scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", ""]),
    key=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60)
    | st.just(DEMO_KEY),
)
def test_authorization_headers_never_fail(http: httpx.Client, scheme: str, key: str) -> None:
    response = http.post(TOKEN_PATH, headers={"Authorization": f"{scheme}{key}".strip()})
    assert_json_refusal_or_success(response)


@FUZZ
@given(user=query_text | st.just(AGENT), token=query_text, repeat=st.booleans())
def test_login_queries_never_fail(
    http: httpx.Client, auth_token: str, user: str, token: str, repeat: bool
) -> None:
    params = [("user", user), ("token", token or auth_token)]
    if repeat:
        params.append(("token", token))
    assert_page_or_refusal_page(http.get("/8x8/", params=params))


@FUZZ
@given(
    params=st.lists(
        st.tuples(st.sampled_from(["from", "to", "q", "cursor", "limit", "other"]), query_text),
        max_size=4,
    ),
    call_id=query_text.filter(lambda text: "/" not in text and text not in ("", ".", "..")),
)
def test_reporting_queries_never_fail(
    http: httpx.Client, auth_token: str, params: list[tuple[str, str]], call_id: str
) -> None:
    headers = {"x-token": auth_token}
    assert_json_refusal_or_success(http.get(CALL_LOGS_PATH, headers=headers, params=params))
    quoted = quote(call_id, safe="")
    assert_json_refusal_or_success(http.get(f"/8x8/api/v1/calls/{quoted}", headers=headers))
    page = http.get(f"/8x8/guest/{quoted}")
    # An HTML refusal page, or 8x8's JSON 404 where the router matches no route
    # (Starlette's mount pattern does not match a path holding a newline).
    assert page.status_code == 404 and page.headers.get("x-emulator-reason")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/8x8/api/v1/tokens", 405),
        ("PUT", "/8x8//api/v1/tokens", 405),
        ("DELETE", "/8x8/api/v1/call-logs", 405),
        ("POST", "/8x8/guest/x", 405),
        ("POST", "/8x8/", 405),
        ("GET", "/8x8/api/v2/tokens", 404),
        ("GET", "/8x8/guest/a/b", 404),
        ("GET", "/8x8/" + "%FF" * 50, 404),
    ],
)
def test_unknown_paths_and_methods_use_8x8s_shape(
    http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = http.request(method, path, headers={"Origin": "http://agent.example"})
    assert response.status_code == status
    assert set(response.json()) == ERROR_FIELDS
    assert response.json()["code"] == {404: 1001, 405: 1002}[status]
    assert response.headers["access-control-allow-origin"] == "http://agent.example"


def test_hostile_host_headers_do_not_reach_the_guest_link(http: httpx.Client) -> None:
    """A Host the emulator does not answer to is refused in 8x8's shape before any room is
    made (request_path/guard.py), so no link can carry it; one it answers to is used."""
    rooms = len(http.get("/_emulator/state/8x8").json()["rooms"])
    for host in ("[", "evil.example/<script>", "a b", "x" * 300 + ":99999999", "evil.example"):
        response = http.post(
            TOKEN_PATH, headers={**bearer(), "host": host}, json={"create_room": True}
        )
        assert response.status_code == 403
        assert set(response.json()) == ERROR_FIELDS
        assert "is not a name this emulator answers to" in response.headers["x-emulator-reason"]
    assert len(http.get("/_emulator/state/8x8").json()["rooms"]) == rooms
    for host in ("emulator:8080", "localhost:9999", "[::1]:8080"):
        response = http.post(
            TOKEN_PATH, headers={**bearer(), "host": host}, json={"create_room": True}
        )
        assert response.status_code == 200
        assert response.json()["guest_link"].startswith(f"http://{host}/8x8/guest/")


def test_cors_preflight_for_reporting(http: httpx.Client) -> None:
    response = http.options(
        CALL_LOGS_PATH,
        headers={
            "Origin": "http://agent.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://agent.example"
