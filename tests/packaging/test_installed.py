"""The wheel installed into a fresh virtual environment in a directory of a user's own:
the command, the module, the pytest plugin and the types, with nothing of the checkout."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.packaging.conftest import PYTHONS, Distributions, Installed, install, python_or_skip
from token_emulator.testing import free_port
from token_emulator.testing.server import wait_for_health

USER_TESTS = """
import httpx

from token_emulator.testing import uneeq_token, web1on1_login
from token_emulator.testing.plugin import TokenEmulator


def test_uneeq_token_redeems_once(token_emulator: TokenEmulator) -> None:
    with httpx.Client(base_url=token_emulator.url) as client:
        token = uneeq_token(client)
        start = f"{token_emulator.vendor_url('uneeq')}/api/v2/clients/start-session"
        body = {"workspaceName": "demo", "sessionType": 0, "tokenId": token}
        assert client.post(start, json=body).status_code == 200
        assert client.post(start, json=body).status_code == 401
    [refused] = token_emulator.requests(vendor="uneeq", status=401)
    assert refused["reason"].startswith("token already redeemed")


def test_web1on1_login(token_emulator: TokenEmulator) -> None:
    with httpx.Client(base_url=token_emulator.url) as client:
        answer = web1on1_login(client)
    assert answer["scope"] == "admin"
    assert token_emulator.state("web1on1")["chains"][0]["user"] == answer["user"]
"""


@pytest.fixture(scope="module", params=PYTHONS)
def installed(
    request: pytest.FixtureRequest, dist: Distributions, tmp_path_factory: pytest.TempPathFactory
) -> Installed:
    python = python_or_skip(request.param)
    where = tmp_path_factory.mktemp(f"user-py{request.param}")
    return install(python, dist.wheel, where, "pytest")


def test_nothing_named_emulator_is_installed(installed: Installed) -> None:
    done = installed.run(installed.bin("python"), "-c", "import emulator", check=False)
    assert "ModuleNotFoundError: No module named 'emulator'" in done.stderr
    where = installed.run(
        installed.bin("python"), "-c", "import token_emulator; print(token_emulator.__file__)"
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.root)


def test_the_command_serves_and_stops_cleanly(installed: Installed) -> None:
    port = free_port()
    server = subprocess.Popen(
        [installed.bin("token-emulator"), "serve", "--port", str(port)],
        cwd=installed.home,
        env=installed.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server, timeout=30)
        health = httpx.get(f"http://127.0.0.1:{port}/_emulator/health").json()
        assert health["fixtures"]["directory"].startswith(str(installed.root))
        # A fixture file per vendor, all shipped in the wheel.
        assert set(health["fixtures"]["files"]) == set(health["vendors"])
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output
    assert list(installed.home.iterdir()) == [], "serve wrote into the working directory"
    module = installed.run(installed.bin("python"), "-m", "token_emulator", "--help")
    assert "serve" in module.stdout


def test_a_project_of_its_own_uses_the_installed_plugin(installed: Installed) -> None:
    project = installed.home / "consumer"
    project.mkdir()
    (project / "test_vendors.py").write_text(textwrap.dedent(USER_TESTS))
    done = installed.run(installed.bin("pytest"), "-q", "-p", "no:cacheprovider", str(project))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout


def test_the_types_are_visible_to_a_users_mypy(installed: Installed, tmp_path: Path) -> None:
    """mypy --strict over a user's file, against the installed package (py.typed)."""
    user = tmp_path / "test_typed.py"
    user.write_text(textwrap.dedent(USER_TESTS))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--python-executable",
            installed.bin("python"),
            str(user),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
