"""The image's command and healthcheck, run as plain processes with the image's environment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docker import dockerfile

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
# util-linux; --kill-child takes the server down with it if the test dies.
UNSHARE = ("unshare", "--pid", "--fork", "--kill-child")


def pid_namespaces() -> str | None:
    """None when this machine lets us make a PID namespace, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"cannot make a PID namespace here: {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def image() -> dockerfile.Dockerfile:
    return dockerfile.read(REPO / "Dockerfile")


def image_env(image: dockerfile.Dockerfile, **overrides: str) -> dict[str, str]:
    """This process's environment less any EMULATOR_*, then the Dockerfile's ENV, then overrides.

    PATH starts with this environment's scripts, where `token-emulator` and
    `python` are, as /usr/local/bin is in the image.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")}
    env.update(image.env)
    scripts = sysconfig.get_path("scripts")
    env["PATH"] = os.pathsep.join([scripts, str(Path(sys.executable).parent), env["PATH"]])
    env.update(overrides)
    return env


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_healthcheck(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Outcome:
    done = subprocess.run(
        list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=30
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


class Container:
    """The image's CMD as a process: started, waited on with the HEALTHCHECK, stopped."""

    def __init__(
        self,
        cmd: Sequence[str],
        healthcheck: Sequence[str],
        env: Mapping[str, str],
        workdir: Path,
        log: Path,
        *,
        pid1: bool = False,
    ) -> None:
        # pid1: run the CMD as PID 1 of a new PID namespace, as a container
        # runs it; the kernel then ignores a signal it has no handler for.
        self.pid1 = pid1
        self.cmd = [*UNSHARE, *cmd] if pid1 else list(cmd)
        self.healthcheck = list(healthcheck)
        self.env = dict(env)
        self.workdir = workdir
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.checks: list[Outcome] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['EMULATOR_PORT']}"

    def start(self) -> Container:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.cmd, env=self.env, cwd=self.workdir, stdout=output, stderr=subprocess.STDOUT
            )
        return self

    def wait_healthy(self) -> Outcome:
        """Run the HEALTHCHECK until it exits 0, as Docker does, within a bounded time."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"CMD exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            outcome = run_healthcheck(self.healthcheck, self.env, self.workdir)
            self.checks.append(outcome)
            if outcome.code == 0:
                return outcome
            time.sleep(0.1)
        raise AssertionError(f"never healthy; last check: {self.checks[-1]}")

    def server_pid(self) -> int:
        """The server's pid here: the process, or under unshare its one child."""
        assert self.process is not None
        if not self.pid1:
            return self.process.pid
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """`docker stop`: SIGTERM, then the exit code (killed after 10 s, as Docker does)."""
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.server_pid(), sig)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the server did not stop on SIGTERM within 10 s") from None


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    """Every Container a test starts is stopped at its end, also when the test fails."""
    started: list[Container] = []
    yield started
    for container in started:
        if container.process is not None and container.process.poll() is None:
            container.process.kill()
            container.process.wait()
