"""compose.yaml's optional `postgres` profile: one PostgreSQL, two emulator replicas.

Parsed, not run by Docker (no engine here): its shape, and the replicas'
command, environment and healthcheck run as processes on the tests' own
PostgreSQL server, standing in for the `postgres` service.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from tests.conftest import FIXTURES
from tests.docker import dockerfile
from tests.docker.conftest import REPO, Container, image_env
from tests.docker.test_image import (
    COMPOSE,
    SERVICE,
    assert_stopped_cleanly,
    compose,
    interpolate,
    mounts,
    start,
)
from tests.postgres.server import PostgresServer
from tests.vendors.uneeq.conftest import START_PATH, TOKEN_PATH, sdk_body, token_request
from token_emulator.testing import free_port

PROFILE = "postgres"
DATABASE = "postgres"
REPLICAS = ("emulator-1", "emulator-2")


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def test_the_profile_is_optional_and_holds_a_database_and_two_replicas() -> None:
    in_profile = {name for name, s in services().items() if PROFILE in s.get("profiles", [])}
    assert in_profile == {DATABASE, *REPLICAS}
    # `docker compose up` without the profile starts what it always did.
    assert "profiles" not in services()[SERVICE]
    assert f"docker compose --profile {PROFILE} up --build {' '.join(REPLICAS)}" in (
        COMPOSE.read_text()
    )


def test_the_database_is_healthy_when_pg_isready_says_so() -> None:
    database = services()[DATABASE]
    assert database["image"].startswith("postgres:")
    env = database["environment"]
    check = database["healthcheck"]
    assert check["test"] == [
        "CMD",
        "pg_isready",
        "-U",
        env["POSTGRES_USER"],
        "-d",
        env["POSTGRES_DB"],
    ]
    assert isinstance(check["retries"], int) and check["retries"] > 0
    assert {m["target"] for m in mounts(database)} == {"/var/lib/postgresql/data"}


def test_the_replicas_wait_for_it_and_publish_ports_of_their_own(
    image: dockerfile.Dockerfile,
) -> None:
    env = services()[DATABASE]["environment"]
    emulator = services()[SERVICE]
    published = []
    for name in REPLICAS:
        replica = services()[name]
        assert (replica["build"], replica["image"]) == (emulator["build"], emulator["image"])
        assert replica["depends_on"] == {DATABASE: {"condition": "service_healthy"}}
        url = make_url(replica["environment"]["EMULATOR_DATABASE"])
        assert url.drivername == "postgresql+asyncpg"
        assert (url.username, url.password, url.database) == (
            env["POSTGRES_USER"],
            env["POSTGRES_PASSWORD"],
            env["POSTGRES_DB"],
        )
        assert (url.host, url.port) == (DATABASE, 5432)
        assert replica["healthcheck"] == emulator["healthcheck"]
        fixtures = {m["target"]: m for m in mounts(replica)}["/fixtures"]
        assert fixtures["read_only"] and (COMPOSE.parent / fixtures["source"]).resolve() == (
            REPO / "fixtures"
        )
        published.append(replica["ports"])
    exposed = next(iter(image.exposed))
    loopback = "${EMULATOR_BIND:-127.0.0.1}"
    assert published == [
        [f"{loopback}:${{EMULATOR_{number}_PORT:-808{number}}}:{exposed}"] for number in (1, 2)
    ]


def run_replica(
    name: str,
    url: str,
    image: dockerfile.Dockerfile,
    tmp_path: Path,
    containers: list[Container],
) -> Container:
    """The image's CMD with the replica's environment; the database host is ours."""
    replica = services()[name]
    environment = {k: interpolate(str(v), {}) for k, v in replica["environment"].items()}
    environment.update(
        EMULATOR_DATABASE=url, EMULATOR_FIXTURES=str(FIXTURES), EMULATOR_PORT=str(free_port())
    )
    directory = tmp_path / name
    directory.mkdir()
    healthcheck = tuple(replica["healthcheck"]["test"][1:])
    return start(containers, image, directory, image_env(image, **environment), healthcheck)


def test_the_replicas_run_as_one_emulator_on_one_database(
    image: dockerfile.Dockerfile,
    tmp_path: Path,
    containers: list[Container],
    postgres: PostgresServer,
) -> None:
    compose_url = make_url(services()[REPLICAS[0]]["environment"]["EMULATOR_DATABASE"])
    assert compose_url.username and compose_url.password
    postgres.role(compose_url.username, compose_url.password)
    with postgres.database(owner=compose_url.username) as ours:
        # The compose URL, user and password included, with our server and database.
        ours_url = make_url(ours)
        url = compose_url.set(
            host=ours_url.host, port=ours_url.port, database=ours_url.database
        ).render_as_string(hide_password=False)
        first, second = (run_replica(name, url, image, tmp_path, containers) for name in REPLICAS)
        for container in (first, second):
            container.wait_healthy()
            health = httpx.get(f"{container.url}/_emulator/health").json()
            assert "TEST-ONLY" not in health["database"]  # the password is not shown
        issued = httpx.post(first.url + TOKEN_PATH, **token_request())
        token = issued.json()["token"]
        assert httpx.post(second.url + START_PATH, json=sdk_body(token)).status_code == 200
        again = httpx.post(first.url + START_PATH, json=sdk_body(token))
        assert again.status_code == 401 and again.text == "Unauthorized"
        httpx.post(f"{second.url}/_emulator/clock", json={"advance": 3600}).raise_for_status()
        clock = httpx.get(f"{first.url}/_emulator/clock").json()
        assert round(clock["offset_seconds"]) == 3600
        for container in (first, second):
            assert_stopped_cleanly(container, container.stop(signal.SIGTERM))
