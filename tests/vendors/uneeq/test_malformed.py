"""Property-based: no header or body makes UneeQ's routes answer 5xx or leak a traceback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import OctKey

from tests.jws_parts import b64
from tests.vendors.uneeq.conftest import workspace
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

SECRET = workspace("demo")["secret"]
PREFIXES = ["/uneeq", "/uneeq/us", "/uneeq/eu", "/uneeq/au", "/uneeq/sg"]
REFUSALS = {400, 401, 403}

# Text that includes lone UTF-16 surrogates, which parse but cannot be stored.
any_text = st.text(st.characters(codec=None, categories=None), max_size=20) | st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
claims = st.dictionaries(
    st.sampled_from(["sid", "fm-workspace", "fm-custom-data", "exp", "iat", "nbf", "x"]),
    json_values,
)
# h11 refuses to send header values with surrounding whitespace, so none are generated.
printable = st.characters(min_codepoint=32, max_codepoint=126)
header_text = st.text(printable, max_size=40).map(str.strip)


@st.composite
def request_bodies(draw: st.DrawFn) -> bytes:
    kinds = ["bytes", "text", "segments", "signed", "signed-bytes", "forged-header"]
    kind = draw(st.sampled_from(kinds))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "signed-bytes":
        # A valid signature over any JSON text, NaN, surrogates and deep nesting included.
        payload = draw(json_values.map(json.dumps) | deep_json)
        key = OctKey.import_key(SECRET)
        return jws.serialize_compact({"alg": "HS256"}, payload.encode(), key).encode()
    if kind == "text":
        return draw(st.text(max_size=200)).encode()
    if kind == "segments":
        parts = draw(st.lists(st.text("abcXYZ019-_=+/.", max_size=30), min_size=1, max_size=5))
        return ".".join(parts).encode()
    if kind == "signed":
        try:
            return uneeq_request_jwt(SECRET, "demo", **draw(claims)).encode()
        except UnicodeEncodeError:  # joserfc will not sign a lone surrogate
            return b"not-signable"
    header = draw(
        st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "jwk"]), json_values)
    )
    payload = json.dumps(draw(claims)).encode()
    signature = draw(st.binary(max_size=40))
    return f"{b64(json.dumps(header).encode())}.{b64(payload)}.{b64(signature)}".encode()


deep_json = st.integers(min_value=900, max_value=5000).map(lambda n: "[" * n + "]" * n)


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Any:
    """The session's server; after the module, its state and log must still be sound."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client
        assert client.get("/_emulator/state/uneeq").status_code == 200
        assert client.get("/_emulator/requests").status_code == 200
    assert server.log_path is not None
    assert "Traceback" not in server.log_path.read_text()


def assert_refusal_or_success(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.status_code in REFUSALS | {404, 405}
        assert response.headers["content-type"].startswith("text/plain")
        assert "Traceback" not in response.text
        assert response.headers.get("x-emulator-reason")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(PREFIXES),
    slash=st.booleans(),
    workspace_header=st.none() | st.sampled_from(["demo", "demo-eu"]) | header_text,
    content_type=st.none() | st.sampled_from(["application/jwt", "application/json"]) | header_text,
    body=request_bodies(),
)
def test_token_endpoint_never_fails(
    http: httpx.Client,
    prefix: str,
    slash: bool,
    workspace_header: str | None,
    content_type: str | None,
    body: bytes,
) -> None:
    headers = {}
    if workspace_header is not None:
        headers["workspace"] = workspace_header
    if content_type is not None:
        headers["content-type"] = content_type
    path = f"{prefix}/api/v1/clients/access/tokens" + ("/" if slash else "")
    assert_refusal_or_success(http.post(path, content=body, headers=headers))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(PREFIXES),
    path=st.sampled_from(["/api/v2/clients/start-session", "/v1/jwt/token"]),
    body=json_values.map(json.dumps) | deep_json | st.binary(max_size=100),
)
def test_session_endpoints_never_fail(
    http: httpx.Client, prefix: str, path: str, body: str | bytes
) -> None:
    headers = {"content-type": "application/json"}
    assert_refusal_or_success(http.post(prefix + path, content=body, headers=headers))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.dictionaries(st.text(max_size=10), json_values, max_size=4))
def test_start_session_with_a_valid_token_and_any_extra_fields(
    http: httpx.Client, extra: dict[str, Any]
) -> None:
    token = http.post(
        "/uneeq/api/v1/clients/access/tokens",
        content=uneeq_request_jwt(SECRET, "demo"),
        headers={"workspace": "demo", "content-type": "application/jwt"},
    ).json()["token"]
    body = {**extra, "tokenId": token, "workspaceName": "demo"}
    response = http.post("/uneeq/api/v2/clients/start-session", content=json.dumps(body))
    assert_refusal_or_success(response)
    # What was stored renders back.
    assert http.get("/_emulator/state/uneeq").status_code == 200
