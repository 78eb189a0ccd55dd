"""The service's calls against the token emulator: each test in a world of its own."""

from __future__ import annotations

import httpx
import pytest
from consumer.vendors import VendorRefused, uneeq_session, web1on1_token

# The emulator's default fixtures (test-only credentials, public on purpose).
UNEEQ_WORKSPACE = "demo"
UNEEQ_SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"
WEB1ON1_EMAIL = "admin@example.org"
WEB1ON1_PASSWORD = "t0pZ3kR3t"


@pytest.fixture(autouse=True)
def vendors_at_the_emulator(token_emulator, monkeypatch):
    monkeypatch.setenv("UNEEQ_BASE_URL", token_emulator.vendor_url("uneeq"))
    monkeypatch.setenv("WEB1ON1_BASE_URL", token_emulator.vendor_url("web1on1"))


def test_a_uneeq_session(token_emulator):
    uneeq_session(workspace=UNEEQ_WORKSPACE, secret=UNEEQ_SECRET, sid="example")
    [session] = token_emulator.state("uneeq")["sessions"]
    assert session["sid"] == "example"


def test_a_wrong_secret_is_refused_with_the_reason(token_emulator):
    with pytest.raises(VendorRefused) as refused:
        uneeq_session(workspace=UNEEQ_WORKSPACE, secret="not-the-secret-0123456789abcdef")
    assert refused.value.status == 401
    [entry] = token_emulator.requests(vendor="uneeq", status=401)
    assert "signature" in entry["reason"]


def test_a_web1on1_token_opens_the_api(token_emulator):
    token = web1on1_token(email=WEB1ON1_EMAIL, password=WEB1ON1_PASSWORD)
    contacts = httpx.get(
        f"{token_emulator.vendor_url('web1on1')}/v2/contacts",
        headers={"authorization": f"Bearer {token}"},
    )
    assert contacts.status_code == 200


def test_the_token_expires_a_day_later(token_emulator):
    token = web1on1_token(email=WEB1ON1_EMAIL, password=WEB1ON1_PASSWORD)
    token_emulator.advance("24h1s")  # the emulator's clock, not the test's
    expired = httpx.get(
        f"{token_emulator.vendor_url('web1on1')}/v2/contacts",
        headers={"authorization": f"Bearer {token}"},
    )
    assert expired.status_code == 401


def test_a_vendor_outage(token_emulator):
    token_emulator.fault("web1on1", route="token", status=503)
    with pytest.raises(VendorRefused) as refused:
        web1on1_token(email=WEB1ON1_EMAIL, password=WEB1ON1_PASSWORD)
    assert refused.value.status == 503
