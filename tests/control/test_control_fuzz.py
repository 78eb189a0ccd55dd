"""Property-based: no body or query makes the control plane answer 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from token_emulator.testing import EmulatorProcess

values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
clock_bodies = st.dictionaries(
    st.sampled_from(["advance", "set", "freeze", "real", "other"]), values, max_size=2
).map(json.dumps)
queries = st.dictionaries(
    st.sampled_from(["vendor", "route", "status", "limit", "x"]),
    st.text(st.characters(codec="utf-8"), max_size=6),
)


@pytest.fixture(scope="module")
def http(server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
        client.post("/_emulator/reset").raise_for_status()
        assert client.get("/_emulator/clock").status_code == 200


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=clock_bodies | st.binary(max_size=40))
def test_clock_bodies(http: httpx.Client, body: str | bytes) -> None:
    response = http.post("/_emulator/clock", content=body)
    assert response.status_code in (200, 400), response.text
    # Whatever was accepted left a clock that still reads.
    assert http.get("/_emulator/clock").status_code == 200
    http.post("/_emulator/clock", json={"real": True})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=queries)
def test_journal_queries(http: httpx.Client, params: dict[str, str]) -> None:
    assert http.get("/_emulator/requests", params=params).status_code in (200, 400)
