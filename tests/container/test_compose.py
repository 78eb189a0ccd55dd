"""compose.yaml brought up for real: the emulator becomes healthy, a consumer that waits
for that (`depends_on: condition: service_healthy`) starts only then and completes a
UneeQ flow and a web1on1 login against http://emulator:8080, and `down -v` leaves
nothing behind.

With podman, Debian's docker-compose 1.29 drives podman's Docker-compatible API
socket (podman-compose 1.6 ignores `service_healthy` on podman 4.3). What
differs from Docker Compose v2 on Docker: without systemd, podman runs no
healthcheck on its interval, so the test runs the emulator's every second, as
Docker's timer would; until it does, the emulator stays `starting` and the
consumer is not created.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.container.conftest import REPO, wait_for_health
from tests.container.engine import Compose, Engine, find_compose
from token_emulator.testing import free_port, uneeq_request_jwt

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only

CONSUMER = """
services:
  emulator:
    image: {image}
  consumer:
    image: {image}
    depends_on:
      emulator:
        condition: service_healthy
    command:
      - sh
      - -c
      - token-emulator token uneeq --url http://emulator:8080 &&
        token-emulator token web1on1 --url http://emulator:8080
"""
WAIT_SECONDS = 3.0
REPLICAS = ("emulator-1", "emulator-2")


@pytest.fixture(scope="module")
def compose(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compose]:
    found = find_compose(engine, tmp_path_factory.mktemp("compose-service"))
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Compose implementation: {found} (.ci/run installs docker-compose)")
        pytest.skip(f"no Compose implementation: {found}")
    yield found
    found.close()


class HealthTicker:
    """What Docker's healthcheck timers do, for podman without systemd: every second,
    each container of the project runs its healthcheck once."""

    def __init__(self, engine: Engine, project: str) -> None:
        self.engine, self.project = engine, project
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)

    def start(self) -> None:
        if self.engine.name == "podman":
            self.thread.start()

    def _tick(self) -> None:
        while not self.stopped.is_set():
            for name in containers(self.engine, self.project, check=False):
                self.engine("healthcheck", "run", name, check=False)
            self.stopped.wait(1.0)

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=60)


def project_directory(tmp_path: Path, extra: str = "") -> tuple[str, Path]:
    """A copy of compose.yaml with this checkout's fixtures, in a directory of its own."""
    project = f"tecompose{secrets.token_hex(3)}"
    directory = tmp_path / project
    directory.mkdir()
    shutil.copy(REPO / "compose.yaml", directory / "compose.yaml")
    shutil.copytree(REPO / "fixtures", directory / "fixtures")
    (directory / "fixtures").chmod(0o755)
    if extra:
        (directory / "extra.yaml").write_text(extra)
    return project, directory


def assert_nothing_left(engine: Engine, project: str) -> None:
    assert containers(engine, project) == []
    volumes = engine("volume", "ls", "--format", "{{.Name}}").stdout.split()
    assert [name for name in volumes if name.startswith(project)] == []
    networks = engine("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert [name for name in networks if name.startswith(project)] == []


def containers(
    engine: Engine, project: str, service: str | None = None, *, check: bool = True
) -> list[str]:
    filters = ["--filter", f"label=com.docker.compose.project={project}"]
    if service is not None:
        filters += ["--filter", f"label=com.docker.compose.service={service}"]
    return engine("ps", "-a", "--format", "{{.Names}}", *filters, check=check).stdout.split()


def test_compose_up_waits_for_health_then_the_consumer_runs_and_down_removes_all(
    engine: Engine, image: str, compose: Compose, tmp_path: Path
) -> None:
    project, directory = project_directory(tmp_path, CONSUMER.format(image=image))
    port = free_port()
    files = ("-p", project, "-f", "compose.yaml", "-f", "extra.yaml")
    compose.env["EMULATOR_HOST_PORT"] = str(port)
    up = compose.popen(directory, *files, "up", "-d", "--no-build", "emulator", "consumer")
    ticker = HealthTicker(engine, project)
    try:
        deadline = time.monotonic() + 60
        while not containers(engine, project, "emulator") and time.monotonic() < deadline:
            time.sleep(0.2)
        [emulator] = containers(engine, project, "emulator")
        if engine.name == "podman":
            # The emulator answers, but no healthcheck has run yet: the consumer waits.
            wait_for_health(f"http://127.0.0.1:{port}", 60)
            time.sleep(WAIT_SECONDS)
            assert containers(engine, project, "consumer") == []
            assert engine.inspect(emulator, "{{.State.Health.Status}}") == "starting"

            ticker.start()
        output, _ = up.communicate(timeout=180)
        assert up.returncode == 0, output
        [consumer] = containers(engine, project, "consumer")
        assert engine("wait", consumer, timeout=120).stdout.strip() == "0"
        printed = engine("logs", consumer).stdout.split()
        assert len(printed) == 2 and printed[1].count(".") == 2, printed  # a token, a JWT
        assert engine.inspect(emulator, "{{.State.Health.Status}}") == "healthy"
        answered = httpx.get(f"http://127.0.0.1:{port}/_emulator/requests").json()["requests"]
        assert {entry["route"] for entry in answered} >= {"uneeq:token", "web1on1:token"}
    finally:
        ticker.stop()
        if up.poll() is None:
            up.kill()
        compose(directory, *files, "down", "-v", timeout=180, check=False)
    assert_nothing_left(engine, project)


def test_the_postgres_profile_two_replicas_behave_as_one_emulator(
    engine: Engine, image: str, postgres_image: str, compose: Compose, tmp_path: Path
) -> None:
    replicas = "services:\n" + "".join(f"  {name}:\n    image: {image}\n" for name in REPLICAS)
    project, directory = project_directory(tmp_path, replicas)
    ports = [free_port(), free_port()]
    compose.env.update({"EMULATOR_1_PORT": str(ports[0]), "EMULATOR_2_PORT": str(ports[1])})
    files = ("-p", project, "-f", "compose.yaml", "-f", "extra.yaml", "--profile", "postgres")
    ticker = HealthTicker(engine, project)
    ticker.start()
    try:
        compose(directory, *files, "up", "-d", "--no-build", "emulator-1", "emulator-2")
        one, two = (f"http://127.0.0.1:{port}" for port in ports)
        for url in (one, two):
            wait_for_health(url, 60)
        issued = httpx.post(
            f"{one}/uneeq/api/v1/clients/access/tokens",
            headers={"workspace": "demo", "content-type": "application/jwt"},
            content=uneeq_request_jwt(SECRET, "demo"),
        )
        assert issued.status_code == 200, issued.text
        body = {"workspaceName": "demo", "sessionType": 0, "tokenId": issued.json()["token"]}
        start = "/uneeq/api/v2/clients/start-session"
        assert httpx.post(f"{two}{start}", json=body).status_code == 200
        assert httpx.post(f"{one}{start}", json=body).status_code == 401  # single use
        httpx.post(f"{two}/_emulator/clock", json={"advance": "1h"}).raise_for_status()
        assert httpx.get(f"{one}/_emulator/clock").json()["offset_seconds"] >= 3600
        assert httpx.post(f"{one}/_emulator/worlds", json={"name": "both"}).status_code == 201
        listed = httpx.get(f"{two}/_emulator/worlds").json()["worlds"]
        assert "both" in [world["name"] for world in listed]
    finally:
        ticker.stop()
        compose(directory, *files, "down", "-v", timeout=180, check=False)
    assert_nothing_left(engine, project)
