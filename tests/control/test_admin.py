"""EMULATOR_ADMIN_TOKEN: the control plane answers only to its holder; vendors stay open."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, make_settings
from token_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.anyio

TOKEN = "admin-token-TEST-ONLY"


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in in_process(make_settings(tmp_path, admin_token=TOKEN)):
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/requests"),
        ("POST", "/_emulator/reset"),
        ("POST", "/_emulator/clock"),
        ("GET", "/_emulator/state/uneeq"),
        ("GET", "/_emulator/faults"),
        ("POST", "/_emulator/fixtures"),
        ("GET", "/_emulator/routes"),
        ("GET", "/_emulator/web1on1/api-keys"),
        ("GET", "/_emulator/nope"),
    ],
)
async def test_without_the_token_the_control_plane_is_401(
    guarded: httpx.AsyncClient, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = await guarded.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "admin token required"}
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_health_and_vendors_stay_open(guarded: httpx.AsyncClient) -> None:
    """Health answers everyone, but only the token's holder learns where the fixtures and
    the database are."""
    open_health = await guarded.get("/_emulator/health")
    assert open_health.status_code == 200
    assert set(open_health.json()) == {"status", "version"}
    assert open_health.json()["status"] == "ready"
    held = await guarded.get("/_emulator/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert {"vendors", "fixtures", "database"} <= set(held.json())
    login_page = await guarded.get("/_emulator/")
    assert "sqlite" not in login_page.text and str(FIXTURES) not in login_page.text
    assert (await guarded.post("/uneeq/api/v1/clients/access/tokens")).status_code == 400


async def test_the_bearer_token_opens_it(guarded: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert (await guarded.get("/_emulator/requests", headers=headers)).status_code == 200
    assert (await guarded.post("/_emulator/reset", headers=headers)).status_code == 200


async def test_login_sets_a_cookie_for_the_dashboard(guarded: httpx.AsyncClient) -> None:
    page = await guarded.get("/_emulator/")  # the page's shell, which holds no data
    assert page.status_code == 200
    assert (await guarded.get("/_emulator/credentials")).status_code == 401
    wrong = await guarded.post("/_emulator/login", data={"token": "wrong"})
    assert wrong.status_code == 401 and "not the admin token" in wrong.text
    assert "action=/_emulator/login" in wrong.text  # the form again
    assert "emulator_admin" not in guarded.cookies
    right = await guarded.post("/_emulator/login", data={"token": TOKEN})
    assert right.status_code == 303 and right.headers["location"] == "/_emulator/"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/_emulator" in cookie
    assert (await guarded.get("/_emulator/requests")).status_code == 200  # the cookie now
    by_json = await guarded.post("/_emulator/login", json={"token": TOKEN})
    assert by_json.status_code == 303


async def test_without_a_token_everything_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_emulator/requests")).status_code == 200


def run_serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The first lines `serve` logs, then stop it: enough to see the start-up warning."""
    with EmulatorProcess(
        tmp_path / "db.sqlite3",
        fixtures=FIXTURES,
        log_path=tmp_path / "serve.log",
        extra_args=args,
    ) as process:
        assert httpx.get(f"{process.url}/_emulator/health").status_code == 200
    return (tmp_path / "serve.log").read_text()


def test_serve_warns_when_open_on_a_non_loopback_address(tmp_path: Path) -> None:
    log = run_serve(tmp_path, "--host", "0.0.0.0")
    assert "the control plane (/_emulator/) is open to anyone" in log


def test_serve_is_quiet_with_a_token_or_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert "is open to anyone" not in run_serve(
        tmp_path / "a", "--host", "0.0.0.0", "--admin-token", TOKEN
    )
    assert "is open to anyone" not in run_serve(tmp_path / "b")


def test_the_env_variable_sets_the_token() -> None:
    code = (
        "import os; os.environ['EMULATOR_ADMIN_TOKEN'] = 't'; "
        "from token_emulator.settings import Settings; print(Settings.from_env().admin_token)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "t"
