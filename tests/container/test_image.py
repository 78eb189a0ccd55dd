"""The real image, built from the repository's Dockerfile, run as a container."""

from __future__ import annotations

import json
import shutil
import ssl
import time
from pathlib import Path

import httpx
import pytest
from packaging.utils import canonicalize_name

from tests.conftest import FIXTURES
from tests.container.conftest import START_PERIOD_SECONDS, Start, wait_for_health
from tests.container.engine import Engine
from tests.container.test_constraints import pins
from token_emulator import __version__
from token_emulator.testing import uneeq_request_jwt

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only
TOKEN_PATH = "/uneeq/api/v1/clients/access/tokens"


def token(url: str, verify: ssl.SSLContext | bool = True) -> httpx.Response:
    return httpx.post(
        f"{url}{TOKEN_PATH}",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "demo"),
        verify=verify,
    )


def test_healthy_within_the_start_period_as_a_user_not_root(start: Start) -> None:
    running = start(wait=False)
    took = wait_for_health(running.url, START_PERIOD_SECONDS)
    assert took < START_PERIOD_SECONDS
    # The HEALTHCHECK's own command, as the engine runs it, and the state it records.
    assert running.engine.healthy(running.name, timeout=30) == "healthy"
    assert running.engine("exec", running.name, "id", "-u").stdout.strip() == "10001"
    assert running.engine("exec", running.name, "id", "-g").stdout.strip() == "10001"


def test_sigterm_stops_it_with_exit_0_within_10_seconds(start: Start) -> None:
    running = start()
    started = time.monotonic()
    running.engine("kill", "--signal", "TERM", running.name)
    running.engine("wait", running.name, timeout=10)
    assert time.monotonic() - started < 10
    assert running.engine.inspect(running.name, "{{.State.ExitCode}}") == "0"
    assert "Application shutdown complete." in running.logs()


def test_a_fixture_directory_mounted_at_fixtures_is_served(start: Start, tmp_path: Path) -> None:
    mounted = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, mounted)
    with (mounted / "uneeq.toml").open("a") as file:
        file.write('\n[[workspaces]]\nid = "mounted"\nsecret = "' + "m" * 32 + '"\nregion = "us"\n')
    mounted.chmod(0o755)
    running = start(volumes=[f"{mounted}:/fixtures:ro"])
    workspaces = httpx.get(f"{running.url}/_emulator/state/uneeq").json()["workspaces"]
    assert "mounted" in [workspace["id"] for workspace in workspaces]


def test_the_database_in_a_volume_outlives_the_container(start: Start, volume: str) -> None:
    first = start(volumes=[f"{volume}:/data"])
    httpx.post(f"{first.url}/_emulator/clock", json={"advance": "1h"}).raise_for_status()
    assert httpx.post(f"{first.url}/_emulator/worlds", json={"name": "kept"}).status_code == 201
    assert token(f"{first.url}/worlds/kept").status_code == 200
    first.engine("rm", "-f", "-v", first.name)  # the named volume stays: it is not anonymous
    second = start(volumes=[f"{volume}:/data"])
    assert httpx.get(f"{second.url}/_emulator/clock").json()["offset_seconds"] >= 3600
    state = httpx.get(f"{second.url}/worlds/kept/_emulator/state/uneeq").json()
    assert len(state["tokens"]) == 1


def test_the_admin_token_closes_the_control_plane_and_leaves_health_open(start: Start) -> None:
    secret = "container-admin-token-0123456789"
    running = start(env={"EMULATOR_ADMIN_TOKEN": secret})
    assert httpx.get(f"{running.url}/_emulator/clock").status_code == 401
    assert httpx.get(f"{running.url}/worlds/any/_emulator/clock").status_code == 401
    health = httpx.get(f"{running.url}/_emulator/health")
    assert health.status_code == 200 and set(health.json()) == {"status", "version"}
    bearer = {"authorization": f"Bearer {secret}"}
    assert httpx.get(f"{running.url}/_emulator/clock", headers=bearer).status_code == 200
    assert running.engine.healthy(running.name, timeout=30) == "healthy"


def test_worlds_through_the_containers_port(start: Start) -> None:
    running = start()
    made = httpx.post(f"{running.url}/_emulator/worlds", json={"name": "job-1"})
    assert made.status_code == 201
    assert made.json()["urls"]["uneeq"] == f"{running.url}/worlds/job-1/uneeq"
    assert token(f"{running.url}/worlds/job-1").status_code == 200
    httpx.post(f"{running.url}/worlds/job-2/_emulator/clock", json={"advance": "2h"})
    assert httpx.get(f"{running.url}/worlds/job-1/_emulator/clock").json()["offset_seconds"] == 0
    tokens = httpx.get(f"{running.url}/_emulator/state/uneeq").json()["tokens"]
    assert tokens == []  # the default world saw none of it


def test_https_with_the_authority_kept_in_the_data_volume(start: Start, volume: str) -> None:
    first = start(env={"EMULATOR_TLS": "1"}, volumes=[f"{volume}:/data"])
    # A client fetches the authority once (unverified: that is what it is asking for) ...
    authority = httpx.get(f"{first.url}/_emulator/ca.pem", verify=False).text
    trusting = ssl.create_default_context(cadata=authority)
    # ... and from then on verifies: a flow, and the HEALTHCHECK over HTTPS.
    assert token(first.url, verify=trusting).status_code == 200
    with pytest.raises(httpx.ConnectError):
        token(first.url)
    assert first.engine.healthy(first.name, timeout=30) == "healthy"
    first.engine("rm", "-f", "-v", first.name)
    second = start(env={"EMULATOR_TLS": "1"}, volumes=[f"{volume}:/data"])
    assert token(second.url, verify=trusting).status_code == 200  # the same authority


def test_labels_and_the_pinned_dependencies(engine: Engine, image: str) -> None:
    labels = json.loads(engine("image", "inspect", "--format", "{{json .Labels}}", image).stdout)
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert labels["org.opencontainers.image.description"]
    frozen = engine("run", "--rm", *engine.limits, image, "pip", "freeze").stdout
    installed = {
        canonicalize_name(name): version
        for name, _, version in (line.partition("==") for line in frozen.splitlines())
    }
    for name, version in pins().items():
        assert installed.get(name) == str(version), (name, installed.get(name), version)
