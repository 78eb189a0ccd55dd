"""Property-based: no Authorization header or body makes Unifize's routes answer 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.jws_parts import b64
from token_emulator.testing import EmulatorProcess, unifize_assertion

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
printable = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60)


@st.composite
def bearer_tokens(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "forged", "signed"]))
    if kind == "text":
        return draw(printable)
    claims = draw(st.dictionaries(st.sampled_from(["iss", "iat", "exp", "nbf", "jti"]), values))
    if kind == "signed":
        return unifize_assertion(101, **{k: v for k, v in claims.items() if k != "iss"})
    header = draw(st.dictionaries(st.sampled_from(["alg", "kid", "crit", "jwk", "b64"]), values))
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), draw(st.binary(max_size=30)))
    return ".".join(b64(part) for part in parts)


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client
        assert client.get("/_emulator/state/unifize").status_code == 200
    assert server.log_path is not None
    assert "Traceback" not in server.log_path.read_text()


def assert_vendor_refusal_or_success(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        body = response.json()
        assert set(body) == {"status", "error", "message"}
        assert response.headers.get("x-emulator-reason")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        [
            "/application/token",
            "/application/installation/2/token",
            "/chatroom",
            "/chatroom/1001",
            f"/chatroom/{'9' * 25}",
            f"/chatroom/{'1' * 5000}",
            "/application/installation/99999999999999999999999/token",
        ]
    ),
    scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", ""]),
    token=bearer_tokens(),
)
def test_bearer_routes_never_fail(http: httpx.Client, path: str, scheme: str, token: str) -> None:
    method = http.get if path.startswith("/chatroom") else http.post
    response = method("/unifize" + path, headers={"Authorization": f"{scheme}{token}".strip()})
    assert_vendor_refusal_or_success(response)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=values.map(json.dumps) | st.binary(max_size=60))
def test_tokeninfo_never_fails(http: httpx.Client, body: str | bytes) -> None:
    assert_vendor_refusal_or_success(http.post("/unifize/application/tokeninfo", content=body))
