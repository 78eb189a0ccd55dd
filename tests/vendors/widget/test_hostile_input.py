"""Property-based and hand-picked hostile input: every answer is the widget's own, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vendors.widget.conftest import (
    BASE,
    CONFIG,
    EXCHANGE,
    GUEST,
    KEY,
    PLAIN,
    REFRESH,
    SECRET,
    USER_TOKEN,
)
from token_emulator.testing import EmulatorProcess

WIRE_MESSAGES = {
    "Missing client_key",
    "Origin not in allowlist for this client_key",
    "Origin not in allowlist",
    "Missing client_key or user_id",
    "Missing or invalid API key",
    "Missing or expired token",
    "Missing or expired refresh_token",
    "Guest access is disabled for this agent",
    "User access is disabled for this agent",
    "Agent not available for this client_key",
    "Invalid agent_id",
    "Not Found",
    "Method Not Allowed",
}

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([KEY, "pk_live_", "acme-support", 2**70, -(2**64)]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "client_key",
        "agent_id",
        "user_id",
        "external_user_id",
        "display_name",
        "email",
        "token",
        "refresh_token",
    ]
)
bodies = (
    st.dictionaries(fields, values, max_size=5).map(json.dumps)
    | values.map(json.dumps)
    | st.binary(max_size=80)
    | st.sampled_from(['{"client_key": NaN}', "[" * 3000, '{"a": 1e999}', '"\\ud800"'])
)
# h11 refuses to send header values with surrounding blanks; the server never sees them.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
    str.strip
)
origins = (
    st.none()
    | header_text
    | st.sampled_from(
        ["null", "http://localhost:3000", "https://evil.test", "http://[::1]:*", "http://[zz]"]
    )
)


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client
        assert client.get("/_emulator/state/widget").status_code == 200
    assert server.log_path is not None
    log = server.log_path.read_text()
    # The session's server also serves the fault tests, whose 500s are forced on purpose.
    unforced = [line for line in log.splitlines() if "-> 500" in line and "forced by" not in line]
    assert "Traceback" not in log and unforced == []


def assert_widget_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.text in WIRE_MESSAGES, response.text
        assert response.headers["content-type"] == PLAIN
        assert response.headers.get("x-emulator-reason")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from([GUEST, USER_TOKEN, EXCHANGE, REFRESH]),
    body=bodies,
    origin=origins,
    referer=origins,
    authorization=st.none() | st.just(f"Bearer {SECRET}") | header_text,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", None]
    ),
)
def test_post_routes_never_fail(
    http: httpx.Client,
    path: str,
    body: str | bytes,
    origin: str | None,
    referer: str | None,
    authorization: str | None,
    content_type: str | None,
) -> None:
    headers = {
        name: value
        for name, value in (
            ("Origin", origin),
            ("Referer", referer),
            ("Authorization", authorization),
            ("Content-Type", content_type),
        )
        if value is not None
    }
    assert_widget_answer(http.post(path, content=body, headers=headers))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.lists(
        st.tuples(st.sampled_from(["client_key", "agent_id", "x"]), st.text(max_size=30)),
        max_size=4,
    ),
    origin=origins,
)
def test_config_never_fails(
    http: httpx.Client, query: list[tuple[str, str]], origin: str | None
) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    assert_widget_answer(http.get(CONFIG, params=query, headers=headers))


HOSTILE: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", f"{CONFIG}?client_key={KEY}&client_key=x&client_key=y", {}),
    ("GET", f"{CONFIG}?client_key=%00%ff%fe", {}),
    ("GET", f"{CONFIG}?client_key={'9' * 10000}", {}),
    ("GET", f"{CONFIG}?client_key={KEY}", {"headers": {"Origin": "http://" + "a." * 200 + "com"}}),
    ("GET", f"{CONFIG}?client_key={KEY}", {"headers": {"Origin": "http://[" + ":" * 50 + "]"}}),
    ("GET", f"{CONFIG}?client_key={KEY}", {"headers": {"Origin": "http://localhost:" + "9" * 40}}),
    ("GET", f"{CONFIG}?client_key={KEY}", {"headers": {"Origin": "http://локалхост".encode()}}),
    ("GET", f"{CONFIG}?client_key={KEY}", {"headers": [("Origin", "http://a.test")] * 2}),
    ("POST", GUEST, {"content": json.dumps({"client_key": KEY, "agent_id": 10**400})}),
    ("POST", GUEST, {"content": b"\x00\x01\x02" * 100}),
    # 60 000: hostile, yet under the 64 KiB body limit (tests/reliability/ tests beyond it).
    ("POST", GUEST, {"content": '{"client_key": "' + "k" * 60_000 + '"}'}),
    ("POST", GUEST, {"content": "{" * 60_000}),
    ("POST", USER_TOKEN, {"headers": {"Authorization": "Bearer " + "s" * 20000}}),
    (
        "POST",
        USER_TOKEN,
        {
            "headers": {"Authorization": f"Bearer {SECRET}"},
            "content": json.dumps({"client_key": KEY, "user_id": "ü" * 300}),
        },
    ),
    ("POST", EXCHANGE, {"content": json.dumps({"client_key": KEY, "token": "." * 5000})}),
    ("POST", REFRESH, {"content": json.dumps({"refresh_token": "e30.e30." + "A" * 100})}),
    ("POST", REFRESH, {"content": json.dumps({"refresh_token": "eyJhbGciOiJIUzI1NiJ9.W10.x"})}),
    ("DELETE", GUEST, {}),
    ("PATCH", CONFIG, {}),
    ("GET", f"{BASE}/auth/guest/../config", {}),
    ("GET", f"{BASE}/{'x' * 5000}", {}),
]


@pytest.mark.parametrize(("method", "path", "options"), HOSTILE)
def test_hand_picked_hostile_requests(
    http: httpx.Client, method: str, path: str, options: dict[str, Any]
) -> None:
    assert_widget_answer(http.request(method, path, **options))
