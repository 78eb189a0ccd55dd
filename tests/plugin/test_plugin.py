"""The pytest plugin as a user meets it: project/ is a separate test project that
names nothing from this repository's tests; it runs here in a subprocess, so the
installed package's `pytest11` entry point is all that loads the plugin."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _pytest.fixtures import FixtureFunctionDefinition

import token_emulator.testing.plugin
from tests.docs.examples import plugin_test
from tests.docs.pages import Block, blocks
from token_emulator.settings import default_fixtures_dir

PROJECT = Path(__file__).parent / "project"
# The outer run's pytest and xdist settings must not leak into the project's run.
LEAKING = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST")
LEAKING += ("PYTEST_DISABLE_PLUGIN_AUTOLOAD",)


def run_project(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Copy the project to `tmp_path` (plus `extra` files), run pytest there; the
    result and the emulators its processes reported (one per process or xdist worker)."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (extra or {}).items():
        (project / name).write_text(text)
    reports = tmp_path / "reports"
    reports.mkdir()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in LEAKING and not key.startswith("PYTEST_XDIST")
    }
    environment["TOKEN_EMULATOR_REPORT_DIR"] = str(reports)
    environment.update(env or {})
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    # This venv's heavy test tools (not the project's) would triple each start-up.
    command += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    command += ["--basetemp", str(tmp_path / "basetemp"), *args]
    result = subprocess.run(
        command, cwd=project, env=environment, capture_output=True, text=True, timeout=120
    )
    found = [json.loads(path.read_text()) for path in sorted(reports.glob("*.json"))]
    return result, found


def docs_examples() -> dict[str, str]:
    """Every test module the README and the docs show for a project using the plugin
    (tests/docs/examples.py), by file name."""
    found = [block for block in blocks() if plugin_test(block)]
    assert len(found) >= 4, "the README's, the plugin page's two and getting started's"
    return {
        f"test_docs_{index}.py": f"# {block.where}\n{block.text}{USING.get(_declared(block), '')}"
        for index, block in enumerate(found)
    }


def _declared(block: Block) -> str | None:
    """The fixture an example declares without a test that uses it, if it does."""
    found = re.search(r"^async def (\w+)\(", block.text, re.M)
    return found[1] if found and "def test_" not in block.text else None


# A test for each fixture the docs declare, as the page says to use it.
USING = {
    "emulator_app": """

import pytest


@pytest.mark.asyncio
async def test_the_declared_fixture_serves(emulator_app):
    answer = await emulator_app.get("/_emulator/health")
    assert answer.status_code == 200
""",
}


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie. A shared server (one for all xdist workers) is
    stopped by the last worker, often not the one that started it; when its parent has
    exited it waits for the init process to reap it, which some containers' never do."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def assert_stopped(servers: list[dict[str, Any]]) -> None:
    """Every emulator the run started is gone with it; a leftover is ended here."""
    leftover = [server for server in servers if alive(server["pid"])]
    for server in leftover:
        os.kill(server["pid"], 9)
    assert leftover == []
    assert [server["port"] for server in servers if port_open(server["port"])] == []


def summary(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_project_passes_with_the_installed_plugin(tmp_path: Path) -> None:
    # The docs' examples run in the project too.
    examples = docs_examples()
    result, servers = run_project(tmp_path, extra=examples)
    assert result.returncode == 0, summary(result)
    shown = sum(len(re.findall(r"^(?:async )?def test_", text, re.M)) for text in examples.values())
    assert f"{12 + shown} passed" in result.stdout, summary(result)
    [server] = servers
    assert server["worker"] == "main"
    assert Path(server["database"]).is_relative_to(tmp_path / "basetemp")
    assert_stopped(servers)


def test_project_passes_under_xdist_with_one_emulator_for_every_worker(tmp_path: Path) -> None:
    result, servers = run_project(tmp_path, "-p", "xdist", "-n", "2")
    assert result.returncode == 0, summary(result)
    assert "12 passed" in result.stdout, summary(result)
    assert [server["worker"] for server in servers] == ["gw0", "gw1"]
    assert len({server["port"] for server in servers}) == 1
    assert len({server["pid"] for server in servers}) == 1
    assert len({server["database"] for server in servers}) == 1
    assert_stopped(servers)


WORLDS_TEST = """
import json
import os
from pathlib import Path

import httpx
import pytest

from token_emulator.testing import uneeq_request_jwt

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


@pytest.mark.parametrize("number", range(40))
def test_a_world_of_its_own(token_emulator, number):
    # Nothing another test left: no journal, fault, clock move or workspace.
    assert token_emulator.requests() == []
    assert token_emulator.faults() == []
    assert token_emulator.clock()["offset_seconds"] == 0
    assert [w["id"] for w in token_emulator.state("uneeq")["workspaces"]] == ["demo", "demo-eu"]
    # What each test leaves, which every later test would see in a shared state.
    secret = f"test-only-uneeq-secret-{number:02d}-0123456789abcdef"
    workspace = {"id": f"w{number}", "secret": secret, "region": "us", "token_ttl_seconds": 60}
    token_emulator.add_fixtures("uneeq", {"workspaces": [workspace]})
    token_emulator.advance(3600 * (number + 1))
    token_emulator.fault("uneeq", route="token", status=503, times=100)
    answer = httpx.post(
        f"{token_emulator.vendor_url('uneeq')}/api/v1/clients/access/tokens",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "demo"),
    )
    assert answer.status_code == 503
    assert [entry["status"] for entry in token_emulator.requests()] == [503]
    assert token_emulator.clock()["offset_seconds"] == pytest.approx(3600 * (number + 1))
    assert len(token_emulator.state("uneeq")["workspaces"]) == 3
    worlds = Path(os.environ["TOKEN_EMULATOR_REPORT_DIR"]) / "worlds"
    worlds.mkdir(exist_ok=True)
    (worlds / f"{number}.json").write_text(json.dumps(token_emulator.world))
"""


def test_forty_tests_under_four_workers_share_one_server_and_no_state(tmp_path: Path) -> None:
    extra = {"test_worlds.py": WORLDS_TEST}
    result, servers = run_project(tmp_path, "-p", "xdist", "-n", "4", "test_worlds.py", extra=extra)
    assert result.returncode == 0, summary(result)
    assert "40 passed" in result.stdout, summary(result)
    assert sorted(server["worker"] for server in servers) == ["gw0", "gw1", "gw2", "gw3"]
    assert len({server["pid"] for server in servers}) == 1
    worlds = [json.loads(path.read_text()) for path in (tmp_path / "reports" / "worlds").iterdir()]
    assert len(set(worlds)) == 40
    assert_stopped(servers)


TLS_TEST = """
import ssl

import httpx
import pytest

from token_emulator.testing import uneeq_request_jwt

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


@pytest.mark.parametrize("number", range(4))
def test_over_https(token_emulator, token_emulator_server, number):
    assert token_emulator.url.startswith("https://")
    assert token_emulator.token("unifize")  # the handle trusts the server's authority
    trusting = ssl.create_default_context(cafile=token_emulator_server.ca_file)
    answer = httpx.post(
        f"{token_emulator.vendor_url('uneeq')}/api/v1/clients/access/tokens",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "demo", sid=f"tls-{number}"),
        verify=trusting,
    )
    assert answer.status_code == 200, answer.text
    with pytest.raises(httpx.ConnectError):
        httpx.get(token_emulator.url + "/_emulator/health")  # not by the system's authorities
"""


@pytest.mark.parametrize("workers", [(), ("-p", "xdist", "-n", "2")], ids=["one", "xdist"])
def test_the_tls_option_serves_https_and_the_handles_trust_it(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    extra = {"test_tls.py": TLS_TEST}
    arguments = ("--token-emulator-tls", *workers, "test_tls.py")
    result, servers = run_project(tmp_path, *arguments, extra=extra)
    assert result.returncode == 0, summary(result)
    assert "4 passed" in result.stdout, summary(result)
    assert {server["url"].split(":", 1)[0] for server in servers} == {"https"}
    assert len({server["pid"] for server in servers}) == 1
    assert_stopped(servers)


def test_an_https_url_is_trusted_through_emulator_ca_file(tmp_path: Path) -> None:
    from token_emulator.testing import EmulatorProcess

    with EmulatorProcess(tmp_path / "running.sqlite3", tls=True) as running:
        assert running.ca_file is not None
        env = {"TOKEN_EMULATOR_URL": running.url, "EMULATOR_CA_FILE": str(running.ca_file)}
        extra = {"test_tls.py": TLS_TEST}
        result, servers = run_project(tmp_path / "trusted", "test_tls.py", env=env, extra=extra)
        assert result.returncode == 0, summary(result)
        assert "4 passed" in result.stdout, summary(result)
        assert [server["url"] for server in servers] == [running.url]
        # Without it, the run stops at once, saying why and what to set.
        del env["EMULATOR_CA_FILE"]
        result, _ = run_project(tmp_path / "untrusted", "test_tls.py", env=env, extra=extra)
        assert result.returncode != 0
        assert "CERTIFICATE_VERIFY_FAILED" in result.stdout + result.stderr, summary(result)
        assert "EMULATOR_CA_FILE" in result.stdout + result.stderr, summary(result)
        # A file that is not there: one line naming it and the variable, no traceback.
        env["EMULATOR_CA_FILE"] = str(tmp_path / "gone.pem")
        result, _ = run_project(tmp_path / "gone", "test_tls.py", env=env, extra=extra)
        assert result.returncode != 0
        assert f"EMULATOR_CA_FILE {tmp_path / 'gone.pem'} cannot be read" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr, summary(result)


def test_the_url_option_uses_a_running_emulator_and_cleans_up_its_worlds(
    tmp_path: Path,
) -> None:
    from token_emulator.client import TokenEmulator
    from token_emulator.testing import EmulatorProcess

    with EmulatorProcess(tmp_path / "running.sqlite3") as running:
        by_option = ("--token-emulator-url", running.url)
        by_environment = {"TOKEN_EMULATOR_URL": running.url}
        for name, args, env in (("option", by_option, None), ("env", (), by_environment)):
            result, servers = run_project(tmp_path / name, *args, "test_handle.py", env=env)
            assert result.returncode == 0, summary(result)
            assert "9 passed" in result.stdout, summary(result)
            assert [server["url"] for server in servers] == [running.url]
            with TokenEmulator(running.url) as emulator:
                # Every test ran in a world of its own, deleted after it.
                assert [world["name"] for world in emulator.worlds()] == ["default"]
                assert emulator.requests() == []
        assert running.process is not None and running.process.poll() is None


def test_fixtures_option_chooses_the_directory(tmp_path: Path) -> None:
    custom = tmp_path / "custom-fixtures"
    custom.mkdir()
    shutil.copy(default_fixtures_dir() / "uneeq.toml", custom / "uneeq.toml")
    result, servers = run_project(
        tmp_path,
        "--token-emulator-fixtures",
        str(custom),
        "-k",
        "fixture_directory",
        env={"EXPECTED_FIXTURES": str(custom.resolve())},
    )
    assert result.returncode == 0, summary(result)
    assert "2 passed" in result.stdout, summary(result)  # the server's and in-process
    assert_stopped(servers)


def test_ini_option_names_a_missing_directory(tmp_path: Path) -> None:
    ini = (PROJECT / "pytest.ini").read_text() + "token_emulator_fixtures = no-such-dir\n"
    result, servers = run_project(
        tmp_path, "test_handle.py::test_uneeq_token_flow", extra={"pytest.ini": ini}
    )
    assert result.returncode == 1, summary(result)
    missing = tmp_path / "project" / "no-such-dir"
    assert f"token emulator fixtures: {missing} is not a directory" in result.stdout
    assert servers == []


TRIO_TEST = """
import pytest

@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_on_trio(token_emulator_app):
    pass
"""


def test_in_process_app_on_trio_says_it_needs_asyncio(tmp_path: Path) -> None:
    pytest.importorskip("trio")
    result, _ = run_project(tmp_path, "test_trio.py", extra={"test_trio.py": TRIO_TEST})
    assert result.returncode == 1, summary(result)
    assert "token_emulator_app runs on asyncio only" in result.stdout, summary(result)


def test_without_plugin_autoload_the_fixtures_are_unknown(tmp_path: Path) -> None:
    # What loads the plugin is the entry point, not anything in the project.
    result, _ = run_project(
        tmp_path,
        "test_handle.py::test_uneeq_token_flow",
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.returncode == 1, summary(result)
    assert "fixture 'token_emulator_server' not found" in result.stdout, summary(result)


def test_here_too_the_plugin_is_loaded_and_names_only_prefixed_fixtures(
    request: pytest.FixtureRequest,
) -> None:
    # Installed in this repository's venv, the plugin runs in this suite as well:
    # its fixtures must not shadow tests/conftest.py's `client`, `server`, `live`.
    plugin = request.config.pluginmanager.get_plugin("token_emulator")
    assert plugin is token_emulator.testing.plugin
    fixtures = sorted(
        name for name, value in vars(plugin).items() if isinstance(value, FixtureFunctionDefinition)
    )
    assert fixtures == ["token_emulator", "token_emulator_app", "token_emulator_server"]
