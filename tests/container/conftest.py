"""The image, built from the repository's Dockerfile and run (tests/container/engine.py
says how). Without an engine the tests skip and say why; with CI=true they fail."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.container.engine import STAND_IN, Engine, find_engine, locked, make_stand_in, run_args
from token_emulator.testing import free_port

REPO = Path(__file__).resolve().parents[2]
# Tagged per test session, so that one checkout's build never replaces the image another
# session's tests run (nor a developer's own `token-emulator:local`); removed at its end.
IMAGE = f"localhost/token-emulator:test-{secrets.token_hex(4)}"
POSTGRES = "postgres:16-bookworm"
# The Dockerfile's HEALTHCHECK --start-period: health must answer within it.
START_PERIOD_SECONDS = 15.0


@pytest.fixture(scope="session")
def engine() -> Engine:
    found = find_engine()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"no container engine: {found} (.ci/run installs podman)")
        pytest.skip(f"no container engine: {found}")
    return found


@pytest.fixture(scope="session")
def image(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's Dockerfile built (on the stand-in base where podman runs)."""
    with locked(tmp_path_factory.getbasetemp().parent / "container-image.lock"):
        build_args = {}
        if engine.name == "podman":
            if not engine.image_exists(STAND_IN):
                make_stand_in(engine)
            build_args["PYTHON_IMAGE"] = STAND_IN
        engine.build(REPO, IMAGE, build_args)
    yield IMAGE
    engine("rmi", IMAGE, check=False)  # its layers stay cached for the next build


@pytest.fixture(scope="session")
def postgres_image(engine: Engine, image: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """compose.yaml's `postgres:16-bookworm`: with podman, a stand-in built from Debian's
    PostgreSQL (tests/container/postgres/) under that name; with Docker, the real one."""
    if engine.name == "podman":
        with locked(tmp_path_factory.getbasetemp().parent / "container-image.lock"):
            engine.build(REPO / "tests" / "container" / "postgres", POSTGRES, {"BASE": STAND_IN})
    return POSTGRES


@dataclass(frozen=True)
class Running:
    engine: Engine
    name: str
    url: str

    def logs(self) -> str:
        done = self.engine("logs", self.name, check=False)
        return done.stdout + done.stderr


def wait_for_health(url: str, timeout: float) -> float:
    """Seconds until `GET /_emulator/health` answered 200 (over HTTPS, of any certificate:
    waiting is not trusting); AssertionError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(f"{url}/_emulator/health", timeout=2, verify=False).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer healthy within {timeout} s")


Start = Callable[..., Running]


@pytest.fixture
def start(engine: Engine, image: str) -> Iterator[Start]:
    """start(env=..., volumes=...): a container of the image, healthy; removed after."""
    names: list[str] = []

    def started(
        env: dict[str, str] | None = None, volumes: Sequence[str] = (), wait: bool = True
    ) -> Running:
        name = f"te-test-{secrets.token_hex(4)}"
        port = free_port()
        names.append(name)
        engine(*run_args(engine, name=name, port=port, env=env, volumes=volumes), image)
        scheme = "https" if (env or {}).get("EMULATOR_TLS") == "1" else "http"
        running = Running(engine, name, f"{scheme}://127.0.0.1:{port}")
        if wait:
            try:
                wait_for_health(running.url, START_PERIOD_SECONDS)
            except AssertionError as error:
                raise AssertionError(f"{error}\n{running.logs()[-3000:]}") from None
        return running

    yield started
    for name in names:  # -v: the image's anonymous /data volume too
        engine("rm", "-f", "-v", "-t", "0", name, check=False)


@pytest.fixture
def volume(engine: Engine) -> Iterator[str]:
    """A named volume of the test's own, removed after it."""
    name = f"te-test-data-{secrets.token_hex(4)}"
    engine("volume", "create", name)
    yield name
    engine("volume", "rm", "-f", name, check=False)
