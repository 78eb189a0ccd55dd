"""Property-based: no header or body makes UneeQ's routes answer 5xx or leak a traceback."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.testing import EmulatorProcess, uneeq_request_jwt
from tests.vendors.uneeq.conftest import workspace

SECRET = workspace("demo")["secret"]
PREFIXES = ["/uneeq", "/uneeq/us", "/uneeq/eu", "/uneeq/au", "/uneeq/sg"]
REFUSALS = {400, 401, 403}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
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


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def request_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "text", "segments", "signed", "forged-header"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(st.text(max_size=200)).encode()
    if kind == "segments":
        parts = draw(st.lists(st.text("abcXYZ019-_=+/.", max_size=30), min_size=1, max_size=5))
        return ".".join(parts).encode()
    if kind == "signed":
        return uneeq_request_jwt(SECRET, "demo", **draw(claims)).encode()
    header = draw(
        st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "jwk"]), json_values)
    )
    payload = json.dumps(draw(claims)).encode()
    signature = draw(st.binary(max_size=40))
    return f"{b64(json.dumps(header).encode())}.{b64(payload)}.{b64(signature)}".encode()


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Any:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client


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
    path=st.sampled_from(["/api/v2/clients/start-session", "/v1/jwt/token"]),
    body=json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=100),
)
def test_session_endpoints_never_fail(http: httpx.Client, path: str, body: bytes) -> None:
    headers = {"content-type": "application/json"}
    response = http.post("/uneeq" + path, content=body, headers=headers)
    assert_refusal_or_success(response)


def test_server_log_has_no_traceback(http: httpx.Client, server: EmulatorProcess) -> None:
    assert server.log_path is not None
    assert "Traceback" not in server.log_path.read_text()
