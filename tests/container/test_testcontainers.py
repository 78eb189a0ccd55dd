"""token_emulator.testcontainers: the image under testcontainers-python, through the
engine's Docker-compatible API (podman's socket here, with testcontainers' reaper off:
its image is in no registry these machines reach)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.container.engine import ApiSocket, Engine, api_socket
from tests.docs.examples import is_testcontainers_example
from tests.docs.pages import blocks

testcontainers = pytest.importorskip("testcontainers", reason="the [testcontainers] extra")


@pytest.fixture(scope="module")
def docker_api(
    engine: Engine, image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiSocket]:
    socket = api_socket(engine, tmp_path_factory.mktemp("testcontainers"))
    settings = {
        **socket.env,
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        # This machine has /.dockerenv, which makes testcontainers reach containers by
        # a gateway that podman's API does not describe: the socket's host instead.
        "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    }
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    # testcontainers reads the last two when its config module is first imported, which
    # may have been before this: its config object is set as well.
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    config = vars(testcontainers_config).copy()
    testcontainers_config.ryuk_disabled = True
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host
    try:
        yield socket
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        vars(testcontainers_config).update(config)
        socket.close()


def test_the_container_starts_healthy_and_gives_urls_and_a_client(
    docker_api: ApiSocket, image: str
) -> None:
    from token_emulator.testcontainers import TokenEmulatorContainer

    secret = "testcontainers-admin-token-0123"
    with TokenEmulatorContainer(image, admin_token=secret) as emulator:
        assert emulator.vendor_url("uneeq") == f"{emulator.url}/uneeq"
        with emulator.client() as control:
            assert control.health()["status"] == "ready"
            control.advance("1h")
            with control.new_world("tc-world") as world:
                assert world.clock()["offset_seconds"] == 0  # a world's own clock
                assert world.vendor_url("uneeq") == f"{emulator.url}/worlds/tc-world/uneeq"
            assert control.clock()["offset_seconds"] >= 3600
        # Without the token the control plane is closed.
        assert httpx.get(f"{emulator.url}/_emulator/clock").status_code == 401


def test_the_docs_is_testcontainers_example_runs(
    docker_api: ApiSocket, engine: Engine, image: str, tmp_path: Path
) -> None:
    [example] = [block.text for block in blocks() if is_testcontainers_example(block)]
    # The example names the image as built by hand; here, this session's build.
    (tmp_path / "test_example.py").write_text(example.replace("token-emulator:local", image))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "test_example.py"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout


def test_a_container_that_never_becomes_healthy_is_removed_and_says_why(
    docker_api: ApiSocket, engine: Engine, image: str
) -> None:
    from token_emulator.testcontainers import TokenEmulatorContainer

    broken = TokenEmulatorContainer(image).with_env("EMULATOR_PORT", "not-a-port")
    with pytest.raises(RuntimeError, match="did not answer healthy") as failed:
        broken.start()
    # It exited (found by the health wait, or by testcontainers' own wait for it to run),
    # and the server's own message is in the log quoted.
    assert "EMULATOR_PORT" in str(failed.value)
    left = engine("ps", "-a", "--filter", f"ancestor={image}", "--format", "{{.Names}}").stdout
    assert left.split() == []
