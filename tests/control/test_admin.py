"""EMULATOR_ADMIN_TOKEN: the control plane answers only to its holder; vendors stay open."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, make_settings
from token_emulator.control.admin import REMEMBERED_CLIENTS, LoginThrottle, client_key
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
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/;" in cookie
    assert "Max-Age=86400" in cookie and "Secure" not in cookie  # served over http here
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


async def test_the_cookie_names_a_session_not_the_token(guarded: httpx.AsyncClient) -> None:
    """Cookies are not kept apart by port: the token itself must never be in one."""
    first = await guarded.post("/_emulator/login", data={"token": TOKEN})
    one = guarded.cookies["emulator_admin"]
    guarded.cookies.clear()
    await guarded.post("/_emulator/login", data={"token": TOKEN})
    two = guarded.cookies["emulator_admin"]
    assert first.status_code == 303
    assert TOKEN not in (one, two) and one != two and len(one) >= 40
    for session in (one, two):
        headers = {"Cookie": f"emulator_admin={session}"}
        guarded.cookies.clear()
        assert (await guarded.get("/_emulator/faults", headers=headers)).status_code == 200
    # Setting the token itself as the cookie opens nothing.
    token_cookie = {"Cookie": f"emulator_admin={TOKEN}"}
    assert (await guarded.get("/_emulator/faults", headers=token_cookie)).status_code == 401


async def test_logout_ends_the_session(guarded: httpx.AsyncClient) -> None:
    await guarded.post("/_emulator/login", data={"token": TOKEN})
    session = guarded.cookies["emulator_admin"]
    page = await guarded.get("/_emulator/")
    assert '"session":true' in page.text  # the page offers to log out
    out = await guarded.post("/_emulator/logout")
    assert out.status_code == 303 and out.headers["location"] == "/_emulator/"
    assert 'emulator_admin=""' in out.headers["set-cookie"]
    assert "emulator_admin" not in guarded.cookies
    headers = {"Cookie": f"emulator_admin={session}"}
    assert (await guarded.get("/_emulator/faults", headers=headers)).status_code == 401


async def test_an_ended_session_is_refused(tmp_path: Path) -> None:
    """A session lasts admin_session_seconds by the machine's clock; one of 0 s has
    ended by the next request."""
    settings = make_settings(tmp_path, admin_token=TOKEN, admin_session_seconds=0)
    async for client in in_process(settings):
        await client.post("/_emulator/login", data={"token": TOKEN})
        session = (await client.post("/_emulator/login", data={"token": TOKEN})).cookies
        headers = {"Cookie": f"emulator_admin={session.get('emulator_admin', 'x')}"}
        client.cookies.clear()
        assert (await client.get("/_emulator/faults", headers=headers)).status_code == 401


async def test_failed_logins_slow_that_client_down(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_token=TOKEN)
    async for client in in_process(settings):
        for _ in range(5):  # five are free; then each try waits, doubling from 1 s
            wrong = await client.post("/_emulator/login", data={"token": "guess"})
            assert wrong.status_code == 401
        slowed = await client.post("/_emulator/login", data={"token": TOKEN})
        assert slowed.status_code == 429, "even the right token waits its turn"
        assert slowed.json() == {"error": "too many failed logins: try again in 1 s"}
        assert slowed.headers["retry-after"] == "1"
        # Another client is not slowed by the first one's failures.
        app = client._transport.app  # type: ignore[attr-defined]
        other = httpx.ASGITransport(app=app, client=("10.9.8.7", 4321))
        async with httpx.AsyncClient(transport=other, base_url=str(client.base_url)) as second:
            logged_in = await second.post("/_emulator/login", data={"token": TOKEN})
            assert logged_in.status_code == 303


@pytest.mark.parametrize(
    "body",
    [b"[" * 1100, b'{"token": "\\ud800"}', b'{"token": ' + b"[" * 1100 + b"]" * 1100 + b"}"],
)
async def test_login_parses_its_body_with_the_shared_parser(
    guarded: httpx.AsyncClient, body: bytes
) -> None:
    response = await guarded.post(
        "/_emulator/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] in (
        "body is nested too deeply",
        "body is nested more than 64 levels deep",
        "body holds text that is not valid Unicode",
    )
    assert response.headers["x-emulator-reason"] == response.json()["error"]


def serve_exit(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`serve` with `args`, expected to stop before serving."""
    return subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--port", "9", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_an_empty_admin_token_is_refused_at_start(tmp_path: Path) -> None:
    done = serve_exit(tmp_path, "--admin-token", "")
    assert done.returncode == 2
    assert done.stderr == (
        "token-emulator: --admin-token is empty (an unset variable?): give a token, "
        "or leave the option out\n"
    )


def test_the_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "admin-token"
    token_file.write_text(TOKEN + "\n")
    log = run_serve(tmp_path, "--admin-token-file", str(token_file))
    assert "admin token has" not in log  # long enough: no warning
    with EmulatorProcess(
        tmp_path / "db2.sqlite3",
        fixtures=FIXTURES,
        extra_args=("--admin-token-file", str(token_file)),
    ) as process:
        url = f"{process.url}/_emulator/faults"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    missing = serve_exit(tmp_path, "--admin-token-file", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    nowhere = tmp_path / "nowhere"
    assert missing.stderr.startswith(
        f"token-emulator: cannot read the admin token from --admin-token-file {nowhere}: "
    )
    assert len(missing.stderr.splitlines()) == 1
    (tmp_path / "empty").write_text("\n")
    empty = serve_exit(tmp_path, "--admin-token-file", str(tmp_path / "empty"))
    assert (empty.returncode, len(empty.stderr.splitlines())) == (2, 1)
    both = serve_exit(tmp_path, "--admin-token", TOKEN, "--admin-token-file", str(token_file))
    assert both.stderr == "token-emulator: give --admin-token or --admin-token-file, not both\n"


def test_a_short_token_starts_with_a_warning(tmp_path: Path) -> None:
    log = run_serve(tmp_path, "--admin-token", "short")
    assert "the admin token has 5 characters; one of 16 or more is harder to guess" in log


def test_both_token_variables_are_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "admin-token"
    token_file.write_text(TOKEN)
    env = {
        **os.environ,
        "EMULATOR_ADMIN_TOKEN": TOKEN,
        "EMULATOR_ADMIN_TOKEN_FILE": str(token_file),
    }
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--port", "9"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "token-emulator: set EMULATOR_ADMIN_TOKEN or EMULATOR_ADMIN_TOKEN_FILE, not both\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--allowed-host", "qa.example.com:8080"), "--allowed-host takes a host name alone"),
        (("--allowed-host", "https://qa.example.com"), "--allowed-host takes a host name alone"),
        (("--allowed-origin", "qa.example.com"), "--allowed-origin takes a scheme, a host"),
        (("--max-added-entries", "-5"), "--max-added-entries must be at least 1"),
        (("--header-timeout", "0"), "--header-timeout must be seconds above 0, at most 3600"),
    ],
)
def test_options_that_could_never_work_stop_serve(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = serve_exit(tmp_path, *args)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"token-emulator: {message}")


def test_logins_sent_together_are_counted_one_after_another(tmp_path: Path) -> None:
    """Twenty wrong logins whose headers all arrive before any body: five are answered,
    the rest wait their turn. The throttle is asked once each body is read, so none
    passes it before the others' failures are counted."""
    import socket
    import time

    body = b"token=guess"
    head = (
        "POST /_emulator/login HTTP/1.1\r\nhost: localhost\r\n"
        "content-type: application/x-www-form-urlencoded\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode()
    with EmulatorProcess(
        tmp_path / "db.sqlite3", fixtures=FIXTURES, extra_args=("--admin-token", TOKEN)
    ) as server:
        sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        for sock in sockets:
            sock.sendall(head)
        time.sleep(0.5)  # every request now waits for its body
        for sock in sockets:
            sock.sendall(body)
        statuses = [int(sock.recv(4096).split(b" ", 2)[1]) for sock in sockets]
        for sock in sockets:
            sock.close()
    assert sorted(statuses) == [401] * 5 + [429] * 15


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("127.0.0.1", "127.9.9.9", True),  # any loopback address is this machine
        ("::1", "127.0.0.1", True),
        ("2001:db8::1", "2001:db8::ffff:1", True),  # one /64: one host's to pick from
        ("2001:db8::1", "2001:db8:0:1::1", False),
        ("10.0.0.1", "10.0.0.2", False),
    ],
)
def test_whose_failures_a_login_counts_against(first: str, second: str, same: bool) -> None:
    assert (client_key(first) == client_key(second)) is same


def test_a_flood_of_new_addresses_does_not_free_the_guesser() -> None:
    throttle = LoginThrottle()
    for _ in range(6):
        throttle.failed("10.0.0.1")
    for number in range(REMEMBERED_CLIENTS + 5):
        throttle.failed(f"2001:db8:{number // 65536:x}:{number % 65536:x}::1")
    assert throttle.wait_left("10.0.0.1") > 0
