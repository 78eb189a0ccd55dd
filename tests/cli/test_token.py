"""`token-emulator token <vendor>`: the whole flow against a running emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_uneeq_token_starts_a_session(cli: Cli, url: str) -> None:
    ran = cli("token", "uneeq", "--url", url)
    assert ran.code == 0, ran.err
    assert ran.err == ""
    started = httpx.post(
        f"{url}/uneeq/api/v2/clients/start-session",
        json={"workspaceName": "demo", "sessionType": 0, "tokenId": ran.out.strip()},
    )
    assert started.status_code == 200


def test_unifize_token_reads_org_2(cli: Cli, url: str) -> None:
    ran = cli("token", "unifize", "--org", "2", "--url", url)
    assert ran.code == 0, ran.err
    rooms = httpx.get(f"{url}/unifize/chatroom", headers=bearer(ran.out.strip()))
    assert [room["id"] for room in rooms.json()] == [2001]


def test_eightbyeight_room_json(cli: Cli, url: str) -> None:
    ran = cli(
        "token", "8x8", "--create-room", "--phone-number", "+6512345678",
        "--call-reference", "qa-ref-001", "--json", "--url", url,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    answer = json.loads(ran.out)
    assert set(answer) == {"auth_token", "call_reference", "guest_link"}
    assert answer["call_reference"] == "qa-ref-001"
    logs = httpx.get(f"{url}/8x8/api/v1/call-logs", headers={"x-token": answer["auth_token"]})
    assert [call["phone_number"] for call in logs.json()["calls"]] == ["+6512345678"]


def test_web1on1_token_as_the_named_user(cli: Cli, url: str) -> None:
    ran = cli("token", "web1on1", "--email", "agent@example.org", "--url", url)
    assert ran.code == 0, ran.err
    me = httpx.get(
        f"{url}/web1on1/v2/users/599e1fcd9da1c72645c95882", headers=bearer(ran.out.strip())
    )
    assert me.status_code == 200
    assert me.json()["email"] == "agent@example.org"


def test_widget_user_session_verbose(cli: Cli, url: str) -> None:
    ran = cli("token", "widget", "--user-id", "user-7", "--verbose", "--url", url)
    assert ran.code == 0, ran.err
    assert ran.err.splitlines() == [
        "step: widget: user visitor token (server to server): "
        "POST /widget/api/v1/widget/auth/user-token -> 200",
        "step: widget: exchange the visitor token for a session: "
        "POST /widget/api/v1/widget/auth/exchange -> 200",
    ]
    refreshed = httpx.post(
        f"{url}/widget/api/v1/widget/auth/refresh", json={"refresh_token": ran.out.strip()}
    )
    assert refreshed.status_code == 200


def test_verbose_unifize_shows_every_step(cli: Cli, url: str) -> None:
    ran = cli("token", "unifize", "-v", "--json", "--url", url)
    assert ran.code == 0, ran.err
    assert set(json.loads(ran.out)) == {"accessToken", "expiresAt"}
    assert ran.err.splitlines() == [
        "step: unifize: read the emulator clock: GET /_emulator/clock -> 200",
        "step: unifize: signed the assertion for app 101 (RS256, 600 s)",
        "step: unifize: exchange the assertion for an access token: "
        "POST /unifize/application/token -> 200",
    ]


def test_refused_step_exits_1_with_status_body_and_reason(cli: Cli, url: str) -> None:
    ran = cli("token", "uneeq", "--secret", "wrong", "--url", url)
    assert ran.code == 1
    assert ran.out == ""
    assert ran.err == (
        "token-emulator: uneeq: request a single-use token refused: POST "
        "/uneeq/api/v1/clients/access/tokens answered 401; x-emulator-reason: signature does "
        "not verify with workspace demo's secret; body: 'Unauthorized'\n"
    )


def test_forced_fault_and_dropped_connection(cli: Cli, url: str) -> None:
    assert (
        cli(
            "fault", "add", "--vendor", "8x8", "--route", "token", "--status", "503", "--url", url
        ).code
        == 0
    )
    forced = cli("token", "8x8", "--url", url)
    assert forced.code == 1
    assert "8x8: buy an auth token refused: POST /8x8/api/v1/tokens answered 503" in forced.err
    assert cli("fault", "add", "--vendor", "8x8", "--drop", "--url", url).code == 0
    dropped = cli("token", "8x8", "--url", url)
    assert dropped.code == 1
    assert dropped.err == (
        f"token-emulator: the emulator at {url} closed the connection without an answer "
        "(an injected fault with drop?)\n"
    )
    assert cli("token", "8x8", "--url", url).code == 0


def test_missing_credentials_and_usage(cli: Cli, url: str, tmp_path: Path) -> None:
    empty = cli("token", "widget", "--fixtures", str(tmp_path), "--url", url)
    assert empty.code == 1
    assert empty.err.startswith("token-emulator: no widget client key in ")
    password = cli("token", "web1on1", "--password", "x", "--url", url)
    assert password.code == 2 and "--password needs --email" in password.err
    (tmp_path / "uneeq.toml").write_text("workspaces = 3\n")
    broken = cli("token", "uneeq", "--fixtures", str(tmp_path), "--url", url)
    assert broken.code == 1
    assert broken.err.startswith("token-emulator: the fixtures are not valid: uneeq.toml")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX console script path")
def test_installed_script_prints_a_token(url: str) -> None:
    script = shutil.which("token-emulator", path=str(Path(sys.executable).parent))
    assert script, "the token-emulator console script is installed with the package"
    result = subprocess.run(
        [script, "token", "web1on1", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"EMULATOR_URL": url, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scope"] == "admin"
