"""The dashboard page, its package assets and the credentials it lists (in process).

The page's behaviour in a browser is tests/control/test_dashboard_browser.py.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import FIXTURES, make_settings
from token_emulator.app import create_app
from token_emulator.core.vendor import Vendor
from token_emulator.vendors import all_vendors
from token_emulator.vendors.uneeq.server import VENDOR as UNEEQ

pytestmark = pytest.mark.anyio

PAGE = resources.files("token_emulator.control") / "dashboard.html"
ASSETS = resources.files("token_emulator.control") / "assets"
ASSET_TYPES = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


def fixture(name: str) -> dict[str, Any]:
    return tomllib.loads((FIXTURES / name).read_text())


async def test_page_is_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/_emulator/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    template = PAGE.read_text(encoding="utf-8")
    before, after = template.split("{{first-state}}")
    assert response.text.startswith(before) and response.text.endswith(after)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["cache-control"] == "no-store"
    # Without the slash, Starlette sends the browser to the page.
    redirect = await client.get("/_emulator", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://emulator.test/_emulator/"


async def test_page_references_only_its_own_assets(client: httpx.AsyncClient) -> None:
    html = (await client.get("/_emulator/")).text
    references = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert sorted(references) == [
        "assets/dashboard.css",
        "assets/dashboard.js",
        "assets/favicon.svg",
        "login",
        "logout",
        "openapi.json",
        "routes",
    ]
    for name, content_type in ASSET_TYPES.items():
        response = await client.get(f"/_emulator/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == content_type
        assert response.content == ASSETS.joinpath(name).read_bytes()


async def test_page_comes_with_the_state_it_shows(client: httpx.AsyncClient) -> None:
    """The page holds each first call's answer, as that call answers it, and no "<"
    that could end its element (a path a client sent is data, not markup)."""
    await client.get("/uneeq/</script><script>alert(1)</script>")
    await client.post("/_emulator/faults", json={"vendor": "8x8", "status": 503})
    await client.post("/_emulator/clock", json={"set": "2031-01-01T00:00:00Z", "freeze": True})
    html = (await client.get("/_emulator/")).text
    data = html.split('<script type="application/json" id="first-state">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data
    state = json.loads(data)
    clock = (await client.get("/_emulator/clock")).json()
    assert (state["clock"]["now"], state["clock"]["frozen"]) == (clock["now"], True)
    assert state["requests"] == (await client.get("/_emulator/requests?limit=200")).json()
    assert state["requests"]["requests"][0]["path"].startswith("/uneeq/</script>")
    assert state["faults"] == (await client.get("/_emulator/faults")).json()
    assert state["credentials"] == (await client.get("/_emulator/credentials")).json()
    assert state["routes"] == (await client.get("/_emulator/routes")).json()
    assert state["health"] == (await client.get("/_emulator/health")).json()


def test_no_asset_names_another_host() -> None:
    """No CDN, font service or analytics: nothing in the page's files leaves the emulator."""
    files = sorted(ASSETS.iterdir(), key=lambda entry: entry.name)
    assert [entry.name for entry in files] == sorted(ASSET_TYPES)
    for entry in [PAGE, *files]:
        name = entry.name
        text = entry.read_text(encoding="utf-8")
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|@import|\burl\(", text), name


def test_script_never_writes_html() -> None:
    """Journal paths and reasons quote hostile input: the script builds text nodes only."""
    script = ASSETS.joinpath("dashboard.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


async def test_unknown_and_escaping_asset_paths_are_404(client: httpx.AsyncClient) -> None:
    for path in (
        "/_emulator/assets/nope.js",
        "/_emulator/assets/",
        "/_emulator/assets/..%2Froutes.py",
        "/_emulator/assets/%2e%2e/dashboard.py",
        "/_emulator/assets/../dashboard.html",
        "/_emulator/assets/index.html",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Not Found"}
    response = await client.post("/_emulator/assets/dashboard.js")
    assert response.status_code == 405
    assert (await client.post("/_emulator/")).status_code == 405


async def test_credentials_list_every_vendor_in_order(client: httpx.AsyncClient) -> None:
    response = await client.get("/_emulator/credentials")
    assert response.status_code == 200
    vendors = response.json()["vendors"]
    assert [(v["id"], v["title"], v["prefix"]) for v in vendors] == [
        (vendor.id, vendor.title, f"/{vendor.id}") for vendor in all_vendors()
    ]
    for vendor in vendors:
        for item in vendor["credentials"]:
            assert set(item) in ({"label", "value"}, {"label", "value", "note"}), item
            assert all(isinstance(v, str) and v for v in item.values()), item


async def credentials_of(client: httpx.AsyncClient, vendor_id: str) -> list[dict[str, str]]:
    vendors = (await client.get("/_emulator/credentials")).json()["vendors"]
    found: list[dict[str, str]] = next(v for v in vendors if v["id"] == vendor_id)["credentials"]
    return found


async def test_uneeq_credentials(client: httpx.AsyncClient) -> None:
    assert await credentials_of(client, "uneeq") == [
        {
            "label": "workspace",
            "value": "demo",
            "note": "Demo persona; region us; the workspace header and fm-workspace claim",
        },
        {
            "label": "secret",
            "value": "test-only-uneeq-secret-demo-0123456789abcdef",
            "note": "of demo: signs its request JWTs (HS256)",
        },
        {
            "label": "workspace",
            "value": "demo-eu",
            "note": "Demo persona, Europe; region eu; the workspace header and fm-workspace claim",
        },
        {
            "label": "secret",
            "value": "test-only-uneeq-secret-demo-eu-0123456789abcdef",
            "note": "of demo-eu: signs its request JWTs (HS256)",
        },
    ]


async def test_unifize_credentials(client: httpx.AsyncClient) -> None:
    found = await credentials_of(client, "unifize")
    assert [(c["label"], c["value"]) for c in found] == [
        ("app id", "101"),
        ("app id", "102"),
        ("demo private key file", "unifize-demo-app.TEST-ONLY.private.pem"),
    ]
    assert found[0]["note"] == (
        "Demo app; org 1; permissions chatroom:read; 1 public key; the assertion's iss"
    )
    assert "permissions none" in found[1]["note"]
    assert (FIXTURES / found[2]["value"]).is_file()


async def test_8x8_credentials(client: httpx.AsyncClient) -> None:
    data = fixture("eightbyeight.toml")
    found = await credentials_of(client, "8x8")
    assert [(c["label"], c["value"]) for c in found] == [
        *(("API key", k["key"]) for k in data["api_keys"]),
        *(("agent email", a["email"]) for a in data["agents"]),
    ]
    assert found[0]["note"] == "demo; Authorization: Bearer of /api/v1/tokens"


async def test_web1on1_credentials(client: httpx.AsyncClient) -> None:
    data = fixture("web1on1.toml")
    found = await credentials_of(client, "web1on1")
    pairs = [(c["label"], c["value"]) for c in found]
    users = [p for u in data["users"] for p in (("email", u["email"]), ("password", u["password"]))]
    keys = [("API key id", k["id"]) for k in data["api_keys"]]
    assert pairs == [*users, ("API-key tokens", "GET /_emulator/web1on1/api-keys"), *keys]
    assert found[6]["note"] == "admin of Demo Org (Ann Admin)"
    assert found[7] == {"label": "password", "value": "t0pZ3kR3t", "note": "of admin@example.org"}
    assert found[-1]["note"] == "scopes agent, guest; user admin@example.org"


async def test_widget_credentials(client: httpx.AsyncClient) -> None:
    data = fixture("widget.toml")
    found = await credentials_of(client, "widget")
    assert [(c["label"], c["value"]) for c in found] == [
        *(("client key", k["key"]) for k in data["client_keys"]),
        *(("secret key", k["key"]) for k in data["secret_keys"]),
    ]
    notes = {c["value"]: c["note"] for c in found}
    assert notes["pk_live_acme_TESTONLYmain0001"] == (
        "account acme, agent acme-support; allowlist localhost:*, 127.0.0.1:*, *.acme.test"
    )
    assert notes["pk_live_acme_TESTONLYblocked1"].endswith("allowlist empty: refused everywhere")
    assert notes["sk_live_acme_TESTONLYsecret0001"] == (
        "Acme backend (test only); account acme; Authorization: Bearer of auth/user-token"
    )


async def test_state_keeps_masking_what_the_credentials_show(client: httpx.AsyncClient) -> None:
    state = (await client.get("/_emulator/state/uneeq")).text
    assert "test-only-uneeq-secret-demo-0123456789abcdef" not in state


async def test_a_vendor_without_the_hook_lists_no_credentials(tmp_path: Path) -> None:
    parts = {name: getattr(UNEEQ, name) for name in Vendor.__dataclass_fields__}
    del parts["credentials"]
    app = create_app(make_settings(tmp_path), vendors=[Vendor(**parts)])
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as c:
            response = await c.get("/_emulator/credentials")
    assert response.json() == {
        "vendors": [{"id": "uneeq", "title": "UneeQ", "prefix": "/uneeq", "credentials": []}]
    }
