"""The emulator's image under testcontainers-python: `pip install 'token-emulator[testcontainers]'`.

    from token_emulator.testcontainers import TokenEmulatorContainer

    with TokenEmulatorContainer("token-emulator:local") as emulator:
        uneeq = emulator.vendor_url("uneeq")        # http://localhost:<port>/uneeq
        with emulator.client() as control:        # a TokenEmulator on its control plane
            control.advance(301)

`start()` (or entering the block) returns once `GET /_emulator/health` answers
200. A test that shares one container with others takes a world of its own:
`emulator.client(world="my-test")`, or `client().new_world()`.

With podman instead of Docker (DOCKER_HOST on podman's API socket),
testcontainers' reaper needs an image from a registry: set
TESTCONTAINERS_RYUK_DISABLED=true where none is reachable.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Self

import httpx
from testcontainers.core.container import DockerContainer

from token_emulator.client import TokenEmulator

PORT = 8080
START_TIMEOUT_SECONDS = 60.0


class TokenEmulatorContainer(DockerContainer):
    """The image (built from the token-emulator repository's Dockerfile) on a free port.
    `admin_token` closes its control plane (the client sends it); `fixtures` is a
    directory of your own, mounted read-only at /fixtures."""

    def __init__(
        self,
        image: str = "token-emulator:latest",
        *,
        admin_token: str | None = None,
        fixtures: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image, **kwargs)
        self.admin_token = admin_token
        self.with_exposed_ports(PORT)
        if admin_token is not None:
            self.with_env("EMULATOR_ADMIN_TOKEN", admin_token)
        if fixtures is not None:
            self.with_volume_mapping(str(Path(fixtures).resolve()), "/fixtures", "ro")

    def start(self) -> Self:
        """Start the container and return once it answers healthy. On a failure (it
        exits, or never answers) it is stopped and removed, and a RuntimeError says why
        with the end of its log (testcontainers' reaper may be off)."""
        try:
            super().start()
            self._wait_until_healthy()
        except Exception as error:
            logs = self._log_tail()
            self.stop()
            raise RuntimeError(
                f"the emulator's container did not answer healthy ({error}); its log ends:\n{logs}"
            ) from None
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def url(self) -> str:
        """The emulator's root, as the host reaches it."""
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    def vendor_url(self, vendor: str) -> str:
        """A vendor's base URL in the default world (`/uneeq`, `/8x8`...)."""
        return f"{self.url}/{vendor}"

    def client(self, world: str | None = None) -> TokenEmulator:
        """The control-plane client, in the default world or `world`."""
        return TokenEmulator(self.url, world=world, admin_token=self.admin_token)

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        problem = "no answer"
        while time.monotonic() < deadline:
            container = self.get_wrapped_container()
            container.reload()
            if container.status in ("exited", "dead"):
                raise RuntimeError(f"the container {container.status}")
            try:
                answer = httpx.get(f"{self.url}/_emulator/health", timeout=2)
                if answer.status_code == 200:
                    return
                problem = f"health answered {answer.status_code}"
            except httpx.HTTPError as error:
                problem = str(error) or type(error).__name__
            time.sleep(0.1)
        raise RuntimeError(f"not within {START_TIMEOUT_SECONDS:g} s: {problem}")

    def _log_tail(self) -> str:
        try:
            parts = self.get_logs()
        except Exception as error:  # the container may be gone already
            return f"(no log: {error})"
        return b"".join(part for part in parts if part).decode(errors="replace")[-2000:]
