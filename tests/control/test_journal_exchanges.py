"""The journal keeps what each vendor request sent and what it was answered: headers and
bodies, secrets masked unless asked; one entry whole, a count, filters, HAR 1.2, and the
client's assert_requested with its near misses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import in_process, make_settings
from tests.worlds.conftest import USES, flow
from token_emulator.client import TokenEmulator
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

pytestmark = pytest.mark.anyio

API_KEY = "demo-8x8-api-key-TEST-ONLY"  # fixtures/eightbyeight.toml, test-only
PASSWORD = "t0pZ3kR3t"  # fixtures/web1on1.toml, test-only
SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


async def entries(http: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    answer = await http.get("/_emulator/requests", params={"bodies": "true", **params})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["requests"]
    return found


@pytest.mark.parametrize("vendor", sorted(USES))
async def test_each_vendors_flow_keeps_what_was_sent_and_answered(
    client: httpx.AsyncClient, vendor: str
) -> None:
    await flow(client, vendor)
    shown = await entries(client, vendor=vendor)
    revealed = await entries(client, vendor=vendor, reveal="true")
    assert shown and len(shown) == len(revealed)
    for entry in shown:
        sent, answered = entry["request"], entry["answer"]
        assert ["host", "emulator.test"] in sent["headers"]
        assert answered["status"] == entry["status"]
        assert answered["body_size"] == len(answered["body"].encode()) > 0
        assert entry["duration_ms"] >= 0
    # The secrets each sends: masked (scheme, first four characters, length) by default.
    masked, whole = json.dumps(shown), json.dumps(revealed)
    for secret in (API_KEY, PASSWORD):
        assert secret not in masked
    credentials = [
        value
        for entry in revealed
        for name, value in entry["request"]["headers"]
        if name == "authorization"
    ]
    for value in credentials:
        scheme, _, credential = value.partition(" ")
        assert value in whole and credential not in masked
        assert f"{scheme} {credential[:4]}... ({len(credential)} characters)" in masked


async def test_bodies_that_are_credentials_are_masked(client: httpx.AsyncClient) -> None:
    jwt = uneeq_request_jwt(SECRET, "demo", sid="masked")
    await client.post(
        "/uneeq/api/v1/clients/access/tokens",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=jwt,
    )
    await client.post(
        "/web1on1/v2/auth/token", json={"email": "admin@example.org", "password": PASSWORD}
    )
    login, token = await entries(client)
    assert token["request"]["body"] == f"{jwt[:4]}... ({len(jwt)} characters)"
    assert json.loads(login["request"]["body"])["password"] == f"{PASSWORD[:4]}... (9 characters)"
    # Masked, it still says what it asked: the request JWT's claims, by which it is found.
    assert token["request"]["json"] == {"sid": "masked", "fm-workspace": "demo"}
    counted = await client.get("/_emulator/requests/count", params={"body.sid": "masked"})
    assert counted.json() == {"count": 1}
    whole = await entries(client, reveal="true")
    assert whole[1]["request"]["body"] == jwt
    assert json.loads(whole[0]["request"]["body"])["password"] == PASSWORD


async def test_one_entry_whole_a_count_and_the_filters(client: httpx.AsyncClient) -> None:
    for workspace in ("demo", "nobody"):
        await client.post(
            "/uneeq/api/v1/clients/access/tokens",
            headers={"workspace": workspace, "content-type": "application/jwt"},
            content=uneeq_request_jwt(SECRET, workspace),
        )
    await client.post(
        "/web1on1/v2/auth/token", json={"email": "nobody@example.org", "password": "x"}
    )
    listed = (await client.get("/_emulator/requests")).json()["requests"]
    assert "request" not in listed[0]  # the list is light unless asked for bodies
    whole = (await client.get(f"/_emulator/requests/{listed[0]['id']}")).json()
    assert json.loads(whole["request"]["body"])["email"] == "nobody@example.org"
    assert whole["answer"]["status"] == 401
    assert (await client.get("/_emulator/requests/999")).status_code == 404
    assert (await client.get("/_emulator/requests/count")).json() == {"count": 3}
    counted = await client.get("/_emulator/requests/count", params={"status": "4xx"})
    assert counted.json() == {"count": 2}
    by_body = await client.get(
        "/_emulator/requests/count", params={"body.email": "nobody@example.org"}
    )
    assert by_body.json() == {"count": 1}
    assert (await client.get("/_emulator/requests/count", params={"method": "get"})).json() == {
        "count": 0
    }
    later = await client.get("/_emulator/requests/count", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json() == {"count": 0}
    for bad in ({"since": "soon"}, {"colour": "red"}, {"body.": "x"}, {"status": "4"}):
        refused = await client.get("/_emulator/requests/count", params=bad)
        assert refused.status_code == 400, (bad, refused.text)


# What HAR 1.2 requires of each entry (http://www.softwareishard.com/blog/har-12-spec/).
HAR_ENTRY = {"startedDateTime", "time", "request", "response", "cache", "timings"}
HAR_REQUEST = {"method", "url", "httpVersion", "cookies", "headers", "queryString"}
HAR_REQUEST |= {"headersSize", "bodySize"}
HAR_RESPONSE = {"status", "statusText", "httpVersion", "cookies", "headers", "content"}
HAR_RESPONSE |= {"redirectURL", "headersSize", "bodySize"}


HAR_SCHEMA = Path(__file__).parent / "har_schema"


def har_problems(document: object) -> list[str]:
    """Where `document` breaks the HAR 1.2 JSON Schema (har_schema/README.md), if it does."""
    from jsonschema import Draft6Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT6

    schemas = [json.loads(path.read_text()) for path in sorted(HAR_SCHEMA.glob("*.json"))]
    registry = Registry().with_resources(
        (schema["$id"].rstrip("#"), Resource.from_contents(schema, DRAFT6)) for schema in schemas
    )
    [root] = [schema for schema in schemas if schema["$id"] == "har.json#"]
    validator = Draft6Validator(root, registry=registry, format_checker=FormatChecker())
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)
    ]


def test_the_har_schema_finds_what_breaks_it() -> None:
    assert har_problems({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}}})
    assert har_problems({"log": {"version": "1.2", "entries": []}})  # no creator
    empty = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}
    assert har_problems(empty) == []
    broken = {**empty["log"], "entries": [{"startedDateTime": "yesterday", "time": 1}]}
    assert len(har_problems({"log": broken})) >= 2


async def test_the_journal_as_har(client: httpx.AsyncClient) -> None:
    for vendor in sorted(USES):
        await flow(client, vendor)
    await client.post("/web1on1/v2/auth/token", content=b"\xff\xfe not text")  # a body of bytes
    await client.get("/_emulator/requests.har")  # a control request: not in the journal
    document = (await client.get("/_emulator/requests.har")).json()
    assert har_problems(document) == []
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "token-emulator"
    journal = (await client.get("/_emulator/requests", params={"bodies": "true"})).json()
    journal = journal["requests"]
    assert len(log["entries"]) == len(journal)
    for har, entry in zip(log["entries"], reversed(journal), strict=True):  # oldest first
        # Every entry's request and answer, as the journal holds them.
        if entry["request"]["body_size"]:
            assert har["request"]["postData"]["text"] == entry["request"]["body"]
        assert har["response"]["content"]["text"] == entry["answer"]["body"]
        assert set(har) >= HAR_ENTRY
        assert set(har["request"]) >= HAR_REQUEST and set(har["response"]) >= HAR_RESPONSE
        assert har["request"]["url"] == f"http://emulator.test{entry['path']}"
        assert har["response"]["status"] == entry["status"]
        assert {"size", "mimeType"} <= set(har["response"]["content"])
        assert all(set(pair) == {"name", "value"} for pair in har["request"]["headers"])
    assert API_KEY not in json.dumps(document)
    revealed = (await client.get("/_emulator/requests.har", params={"reveal": "true"})).json()
    assert har_problems(revealed) == []
    assert API_KEY in json.dumps(revealed)


async def test_bodies_are_cut_at_the_limit_and_the_journal_bounded_in_bytes(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, journal_body_limit=100, journal_max_bytes=60_000)
    async for client in in_process(settings):
        big = {"email": "x@example.org", "password": "p" * 5000}
        await client.post("/web1on1/v2/auth/token", json=big)
        [entry] = await entries(client)
        assert entry["request"]["body_truncated"] is True
        assert entry["request"]["body_size"] > 5000 and len(entry["request"]["body"]) < 200
        assert "ppppp" not in entry["request"]["body"]  # cut, and masked all the same
        for _ in range(200):
            await client.post("/web1on1/v2/auth/token", json=big)
        kept = (await client.get("/_emulator/requests")).json()["requests"]
        assert 20 < len(kept) < 200  # the oldest went, by bytes: not by count (1000)


def test_assert_requested_passes_and_lists_the_near_misses(
    live_server: EmulatorProcess, live: httpx.Client
) -> None:
    with TokenEmulator(live_server.url).new_world() as emulator:
        uneeq = emulator.vendor_url("uneeq")
        for sid, secret in (("mine", SECRET), ("other", "not-the-secret-0123456789abcdef")):
            httpx.post(
                f"{uneeq}/api/v1/clients/access/tokens",
                headers={"workspace": "demo", "content-type": "application/jwt"},
                content=uneeq_request_jwt(secret, "demo", sid=sid),
            )
        [found] = emulator.assert_requested("uneeq", "token", status=200, body={"sid": "mine"})
        assert found["answer"]["json"]["token"]
        assert found["request"]["json"]["sid"] == "mine"  # the request JWT's claims
        emulator.assert_requested("uneeq", "uneeq:token", times=2)
        assert emulator.count("uneeq", since=datetime(2000, 1, 1)) == 2  # naive: UTC
        assert emulator.count("uneeq", until=datetime(2000, 1, 1, tzinfo=UTC)) == 0
        with pytest.raises(AssertionError) as missed:
            emulator.assert_requested("uneeq", "start-session", times=1)
        message = str(missed.value)
        assert message.startswith("expected 1 request(s) to uneeq:start-session; found 0")
        assert "nearest of the 2 uneeq request(s) in the journal:" in message
        assert "uneeq:token -> 401 (signature does not verify" in message
        with pytest.raises(AssertionError, match="the journal holds no web1on1 request"):
            emulator.assert_requested("web1on1", "token")
        emulator.delete_world(emulator.world)
