"""Schemathesis against GET /_emulator/openapi.json, in-process, for every vendor route.

Whatever schemathesis sends (schema examples, boundary and negative cases from
its coverage phase, random data), every answer is judged as fuzzing.py says: no
5xx, a documented status, content type and headers, a body that fits its schema.
Credentials come from the default fixtures through the document's security
schemes. The second test runs the same operations with known-good values planted
(a registered client key, a seeded record id, a live room), so that the handlers
behind authentication and lookup are fuzzed too, not only the refusals in front.

Bounded and reproducible: a fixed seed, deterministic generation and at most
MAX_EXAMPLES random cases per operation and test, on top of the coverage phase's
boundary and negative cases. Every request is counted per operation; each test
records its counts (a user property of its report), pytest's summary prints the
totals and writes test-artifacts/fuzz-summary.json (tests/conftest.py), and a
test that leaves an operation without a single example errors at teardown.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.python import asgi

from tests.conftest import make_settings
from tests.security.fixture_dirs import fixtures_without_rate_limit
from tests.security.fuzzing import send_and_validate
from tests.vendor_targets import vendor_ids
from token_emulator.app import create_app
from token_emulator.testing import uneeq_request_jwt, unifize_assertion
from token_emulator.vendors.web1on1.models import KINDS

# Every registered vendor's operations are fuzzed (by its tag); the planting below knows
# the vendors it has values for, and leaves any other's cases as generated.
VENDORS = vendor_ids()
SEED = 20240501
MAX_EXAMPLES = 15  # the fuzzing phase's; the coverage phase adds its own boundary cases

UNEEQ_WORKSPACE = "demo"
EIGHT_BY_EIGHT_KEY = "demo-8x8-api-key-TEST-ONLY"
WEB1ON1_ADMIN = {"email": "admin@example.org", "password": "t0pZ3kR3t"}
WIDGET_CLIENT_KEY = "pk_live_acme_TESTONLYmain0001"
WIDGET_SECRET_KEY = "sk_live_acme_TESTONLYsecret0001"
WIDGET_ORIGIN = "http://localhost:3000"


@dataclass(frozen=True)
class Known:
    """Values the fixtures and the set-up calls make valid, planted into some cases."""

    uneeq_secret: str
    uneeq_token: str  # single-use: the first planted start-session redeems it
    uneeq_session: str
    unifize_room: str
    unifize_access_token: str
    eight_by_eight_room: str
    eight_by_eight_token: str
    eight_by_eight_agent: str
    web1on1_records: dict[str, str]  # kind -> a record of the admin's organization
    web1on1_doomed: dict[str, str]  # kind -> a record made at set-up, for DELETE
    web1on1_refresh_token: str  # of a second login, so reusing it never revokes the Bearer
    widget_visitor_token: str
    widget_session_token: str


def _toml(fixtures: Path, name: str) -> dict[str, Any]:
    return tomllib.loads((fixtures / name).read_text())


def _web1on1_records(fixtures: Path, admin: str, organization: str) -> dict[str, str]:
    """One seeded record per kind in the admin's organization (not the admin's own user:
    changing its password or deleting it would turn the rest of the run into 401s)."""
    data = _toml(fixtures, "web1on1.toml")
    conversations = {entry["id"]: entry["organization"] for entry in data["conversations"]}

    def owner(kind: str, entry: dict[str, Any]) -> str:
        if kind == "organizations":
            return str(entry["id"])
        if kind == "messages":
            return str(entry.get("organization") or conversations[entry["conversation"]])
        return str(entry["organization"])

    return {
        kind: next(
            entry["id"]
            for entry in data[kind]
            if owner(kind, entry) == organization and entry["id"] != admin
        )
        for kind in KINDS
    }


class _SetUp:
    def __init__(self, client: Any) -> None:
        self.client = client

    def post(self, path: str, bearer: str | None = None, **kwargs: Any) -> Any:
        if bearer is not None:
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {bearer}"}
        answer = self.client.post(path, **kwargs)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
        return answer.json()

    def uneeq(self, secret: str) -> tuple[str, str]:
        """Two tokens: one to plant, one redeemed here for a session."""
        tokens = [
            self.post(
                "/uneeq/api/v1/clients/access/tokens",
                headers={"workspace": UNEEQ_WORKSPACE, "content-type": "application/jwt"},
                data=uneeq_request_jwt(secret, UNEEQ_WORKSPACE, sid="fuzz"),
            )["token"]
            for _ in range(2)
        ]
        session = self.post("/uneeq/api/v2/clients/start-session", json={"tokenId": tokens[1]})
        return tokens[0], session["id"]

    def widget(self) -> tuple[str, str]:
        """A visitor token to plant, and a session token (from another visitor token)."""
        api = "/widget/api/v1/widget"
        origin = {"Origin": WIDGET_ORIGIN}
        guest = {"client_key": WIDGET_CLIENT_KEY}
        visitor, second = (
            self.post(f"{api}/auth/guest", headers=origin, json=guest)["token"] for _ in range(2)
        )
        session = self.post(f"{api}/auth/exchange", headers=origin, json={**guest, "token": second})
        return visitor, session["session_token"]

    def web1on1_doomed(self, token: str, conversation: str) -> dict[str, str]:
        """A record of each kind, made here so that DELETE has its own to delete."""
        bodies: dict[str, dict[str, Any]] = {
            "users": {"email": "doomed@example.org", "password": "doomed-TEST-ONLY"},
            "messages": {"conversation": conversation, "text": "doomed"},
        }
        return {
            kind: self.post(
                f"/web1on1/v2/{kind}", token, json=bodies.get(kind, {"name": "doomed"})
            )["_id"]
            for kind in KINDS
        }


def _set_up(client: Any, fixtures: Path) -> tuple[dict[str, Any], Known]:
    """Credentials per security scheme, and known values, from the running app."""
    calls = _SetUp(client)
    secret = next(
        w["secret"]
        for w in _toml(fixtures, "uneeq.toml")["workspaces"]
        if w["id"] == UNEEQ_WORKSPACE
    )
    uneeq_token, uneeq_session = calls.uneeq(secret)
    assertion = unifize_assertion()
    unifize = calls.post("/unifize/application/token", assertion)
    eight = calls.post("/8x8/api/v1/tokens", EIGHT_BY_EIGHT_KEY, json={"create_room": True})
    web1on1 = calls.post("/web1on1/v2/auth/token", json=WEB1ON1_ADMIN)
    second_login = calls.post("/web1on1/v2/auth/token", json=WEB1ON1_ADMIN)
    records = _web1on1_records(fixtures, web1on1["user"], web1on1["organization"])
    visitor, session = calls.widget()
    credentials = {
        "unifizeAssertion": {"bearer": assertion},
        "unifizeAccessToken": {"bearer": unifize["accessToken"]},
        "eightByEightApiKey": {"bearer": EIGHT_BY_EIGHT_KEY},
        "eightByEightXToken": {"api_key": eight["auth_token"]},
        "web1on1Bearer": {"bearer": web1on1["token"]},
        "widgetOrigin": {"api_key": WIDGET_ORIGIN},
        "widgetSecretKey": {"bearer": WIDGET_SECRET_KEY},
    }
    known = Known(
        uneeq_secret=secret,
        uneeq_token=uneeq_token,
        uneeq_session=uneeq_session,
        unifize_room=str(_toml(fixtures, "unifize.toml")["chatrooms"][0]["id"]),
        unifize_access_token=unifize["accessToken"],
        eight_by_eight_room=eight["guest_link"].rsplit("/", 1)[1],
        eight_by_eight_token=eight["auth_token"],
        eight_by_eight_agent=_toml(fixtures, "eightbyeight.toml")["agents"][0]["email"],
        web1on1_records=records,
        web1on1_doomed=calls.web1on1_doomed(web1on1["token"], records["conversations"]),
        web1on1_refresh_token=second_login["refreshToken"],
        widget_visitor_token=visitor,
        widget_session_token=session,
    )
    return credentials, known


@pytest.fixture(scope="module")
def app_and_known(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Known]]:
    directory = tmp_path_factory.mktemp("fuzz")
    fixtures = fixtures_without_rate_limit(directory)
    app = create_app(make_settings(directory, fixtures_dir=fixtures))
    # schemathesis runs the app's lifespan in its own event loop thread, once per app,
    # and the set-up calls go through that same loop.
    with asgi.get_client(app) as client:
        credentials, known = _set_up(client, fixtures)
        MOUNTED_ROUTES[:] = client.get("/_emulator/routes").json()["vendors"]
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "auth": {"openapi": credentials},
        }
    )
    schema = schemathesis.openapi.from_asgi("/_emulator/openapi.json", app, config=config)
    try:
        yield schema, known
    finally:
        asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def vendor_api(app_and_known: tuple[Any, Known]) -> Any:
    return app_and_known[0]


@pytest.fixture(scope="module")
def known(app_and_known: tuple[Any, Known]) -> Known:
    return app_and_known[1]


@pytest.fixture(scope="module")
def vendor_operations(vendor_api: Any) -> list[str]:
    """ "METHOD path" of every operation the fuzz tests run: the vendor-tagged ones."""
    return sorted(
        result.ok().label for result in vendor_api.include(tag=VENDORS).get_all_operations()
    )


# Every vendor route the app mounts, from GET /_emulator/routes at set-up.
MOUNTED_ROUTES: list[dict[str, Any]] = []


# Requests sent per operation label by the test running now (one test at a time per process).
EXAMPLES: Counter[str] = Counter()
FUZZ_PROPERTY = "fuzz_examples"  # tests/conftest.py sums these into the run's summary


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(
    request: pytest.FixtureRequest, vendor_operations: list[str]
) -> Iterator[None]:
    # schemathesis 4.32 reads and rewrites Node._nodeid to name each operation's
    # subtest; pytest 9.2 keeps the node id elsewhere and has no such attribute.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    EXAMPLES.clear()
    yield
    if request.node.originalname not in FUZZ_TESTS:
        return
    counts = dict(sorted(EXAMPLES.items()))
    request.node.user_properties.append(
        (
            FUZZ_PROPERTY,
            {
                "test": request.node.originalname,
                "seed": SEED,
                "max_examples": MAX_EXAMPLES,
                "examples": counts,
            },
        )
    )
    missing = sorted(set(vendor_operations) - set(counts))
    assert not missing, f"operations without a single example: {missing}"


UNEEQ_PATH = re.compile(r"^/uneeq(/\{region\})?(?P<route>/.*)$")
WEB1ON1_ITEM = re.compile(r"^/web1on1/v2/(?P<kind>[a-z]+)/\{record_id\}(?P<messages>/messages)?$")


def _plant(case: Any, known: Known) -> None:
    """Known-good values where the operation takes them; the rest stays as generated."""
    path, method = case.operation.path, case.method.upper()
    body = case.body if isinstance(case.body, dict) else None
    params = case.path_parameters if case.path_parameters is not None else {}
    query = case.query if case.query is not None else {}
    if uneeq := UNEEQ_PATH.match(path):
        if uneeq["route"].startswith("/api/v1/clients/access/tokens"):
            case.headers = {**(case.headers or {}), "workspace": UNEEQ_WORKSPACE}
            case.body = uneeq_request_jwt(known.uneeq_secret, UNEEQ_WORKSPACE, sid="fuzz")
        elif body is not None and uneeq["route"] == "/api/v2/clients/start-session":
            body["tokenId"] = known.uneeq_token
        elif body is not None:
            body.update(session_id=known.uneeq_session, persona_id=UNEEQ_WORKSPACE)
    elif path == "/unifize/chatroom/{room_id}":
        params["room_id"] = known.unifize_room
    elif path == "/unifize/application/installation/{org_id}/token":
        params["org_id"] = 2  # the demo app is installed there
    elif path == "/unifize/application/tokeninfo" and body is not None:
        body["token"] = known.unifize_access_token
    elif path in ("/8x8/guest/{room_id}", "/8x8/api/v1/calls/{call_id}"):
        params[next(iter(params))] = known.eight_by_eight_room
    elif path == "/8x8/":
        query.update(user=known.eight_by_eight_agent, token=known.eight_by_eight_token)
    elif item := WEB1ON1_ITEM.match(path):
        kind = item["kind"]
        if item["messages"]:
            params["record_id"] = known.web1on1_records["conversations"]
        else:
            records = known.web1on1_doomed if method == "DELETE" else known.web1on1_records
            params["record_id"] = records[kind]
    elif path == "/web1on1/v2/messages" and body is not None:
        body["conversation"] = known.web1on1_records["conversations"]
    elif path == "/web1on1/v2/auth/token":
        if method == "GET":
            query["refreshToken"] = known.web1on1_refresh_token
        elif body is not None:
            body.pop("refreshToken", None)
            body.update(WEB1ON1_ADMIN)
    elif path.startswith("/widget"):
        query_or_body = query if method == "GET" else body
        if query_or_body is not None:
            query_or_body["client_key"] = WIDGET_CLIENT_KEY
        if path.endswith("/user-token") and body is not None:
            body.pop("external_user_id", None)
            body["user_id"] = "fuzz-user"
        elif path.endswith("/exchange") and body is not None:
            body["token"] = known.widget_visitor_token
        elif path.endswith("/refresh") and body is not None:
            body["refresh_token"] = known.widget_session_token
    case.query = query or case.query


schema = schemathesis.pytest.from_fixture("vendor_api").include(tag=VENDORS)
FUZZ_TESTS = (
    "test_vendor_routes_answer_as_documented",
    "test_vendor_routes_past_the_lookups_answer_as_documented",
)


def test_the_fuzzed_operations_are_every_vendor_route(
    vendor_api: Any, vendor_operations: list[str]
) -> None:
    """The tag filter selects every operation under a vendor prefix, and those are every
    method of every vendor route the app mounts (by route name)."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    described = {
        f"{method.upper()} {path}": operation
        for path, item in vendor_api.raw_schema["paths"].items()
        for method, operation in item.items()
        if method in methods
    }
    prefixes = {f"/{vendor}/" for vendor in VENDORS}
    under_a_vendor = sorted(
        label for label in described if label.split(" ", 1)[1].startswith(tuple(prefixes))
    )
    assert vendor_operations == under_a_vendor
    mounted = {
        (route["name"], method)
        for vendor in MOUNTED_ROUTES
        for route in vendor["routes"]
        for method in route["methods"]
    }
    fuzzed = {
        (described[label]["x-route-name"], label.split(" ")[0]) for label in vendor_operations
    }
    assert fuzzed == mounted


def _call(case: Any) -> None:
    EXAMPLES[case.operation.label] += 1
    send_and_validate(case)


@schema.parametrize()
def test_vendor_routes_answer_as_documented(case: Any) -> None:
    """As generated: schema examples, boundary and negative cases, random data."""
    _call(case)


@schema.parametrize()
def test_vendor_routes_past_the_lookups_answer_as_documented(case: Any, known: Known) -> None:
    """The same cases with known-good values planted, to reach the handlers behind them."""
    _plant(case, known)
    _call(case)
