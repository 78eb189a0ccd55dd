"""The container engine the tests drive: Docker where an engine answers, else podman.

Podman here needs settings Docker does not (found on these machines, where the
cgroups are hybrid and the hard limits low): the runc runtime (podman's
default, crun, refuses hybrid cgroups), ulimits under the machine's hard limits
(the defaults are above them), the host's certificate authorities in the build
(so pip trusts what the host's pip trusts), `--format docker` (or podman drops
the HEALTHCHECK) and `--pull=never` (no image registry is reachable). Without
systemd podman runs no healthcheck on its interval: `healthcheck run` runs it
once and records the status, as Docker's timer would.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# The stand-in for python:3.12-slim-bookworm where no registry answers: Debian's own
# python3 (3.11), made with debootstrap and kept in the engine's store between runs.
STAND_IN = "localhost/token-emulator-test-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


class EngineFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Engine:
    name: str  # "docker" or "podman"
    base: tuple[str, ...]  # the command and the options every call needs

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            shown = " ".join(args[:3])
            raise EngineFailed(
                f"{self.name} {shown}: exit {done.returncode}\n{done.stderr[-3000:]}"
            )
        return done

    @property
    def limits(self) -> tuple[str, ...]:
        return LIMITS if self.name == "podman" else ()

    def build(self, context: Path, tag: str, build_args: dict[str, str]) -> None:
        arguments = [f"--build-arg={name}={value}" for name, value in build_args.items()]
        if self.name == "podman":
            arguments += ["--format", "docker", "--pull=never", "--network", "host"]
            arguments += ["-v", "/etc/ssl/certs:/etc/ssl/certs:ro", *LIMITS]
        self("build", *arguments, "-t", tag, str(context), timeout=900)

    def image_exists(self, tag: str) -> bool:
        return self("image", "inspect", tag, check=False).returncode == 0

    def inspect(self, name: str, template: str) -> str:
        return self("inspect", "--format", template, name).stdout.strip()

    def healthy(self, name: str, timeout: float) -> str:
        """The container's health state once its HEALTHCHECK passed (or `timeout` ends):
        Docker runs it on its interval; podman without systemd runs none by itself, so
        here it runs once on request, as the interval's timer would."""
        deadline = time.monotonic() + timeout
        while True:
            if self.name == "podman":
                self("healthcheck", "run", name, check=False)
            state = self.inspect(name, "{{.State.Health.Status}}")
            if state == "healthy" or time.monotonic() >= deadline:
                return state
            time.sleep(0.5)


def find_engine() -> Engine | str:
    """The engine to use, or why there is none."""
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    ):
        return Engine("docker", ("docker",))
    if shutil.which("podman") is None:
        return "neither a Docker engine that answers nor podman is here"
    if os.geteuid() != 0:
        # Rootless podman needs uidmap and subordinate ids, and debootstrap needs root.
        return "podman is driven as root here (rootless needs uidmap, subuids and subgids)"
    if shutil.which("runc") is None:
        return "podman is here but runc is not (podman's crun refuses hybrid cgroups)"
    engine = Engine("podman", ("podman", "--runtime", "runc"))
    probe = engine("info", check=False)
    if probe.returncode != 0:
        return f"podman does not answer: {probe.stderr.strip()[-500:]}"
    return engine


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One test process at a time (xdist workers build the same images)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def make_stand_in(engine: Engine) -> None:
    """Debian bookworm with python3, pip and venv, as the official image has them: pip
    may install into the system Python, and `python` is on the PATH."""
    debootstrap = shutil.which("debootstrap", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if debootstrap is None:
        raise EngineFailed("debootstrap is not installed: the stand-in base image needs it")
    with tempfile.TemporaryDirectory(prefix="stand-in-") as scratch:
        root = Path(scratch) / "rootfs"
        done = subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                "--include=python3,python3-venv,python3-pip",
                "bookworm",
                str(root),
                DEBIAN_MIRROR,
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise EngineFailed(f"debootstrap: exit {done.returncode}\n{done.stdout[-3000:]}")
        (root / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        (root / "usr/local/bin/python").symlink_to("/usr/bin/python3")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        imported = subprocess.run(
            [*engine.base, "import", "-", STAND_IN],
            stdin=tar.stdout,
            capture_output=True,
            timeout=600,
        )
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0:
            raise EngineFailed(f"import of the stand-in: {imported.stderr.decode()[-2000:]}")


def run_args(
    engine: Engine,
    *,
    name: str,
    port: int,
    env: dict[str, str] | None = None,
    volumes: Sequence[str] = (),
) -> list[str]:
    """`run -d` on the host's network, the emulator on `port`."""
    arguments = ["run", "-d", "--name", name, "--network", "host", *engine.limits]
    for key, value in {"EMULATOR_PORT": str(port), **(env or {})}.items():
        arguments += ["-e", f"{key}={value}"]
    for volume in volumes:
        arguments += ["-v", volume]
    return arguments


# What podman's API service (for a Compose implementation) needs, as the `podman` calls
# above get on their command line: runc, and ulimits under the machine's hard limits.
PODMAN_SERVICE_CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
"""


@dataclass
class Compose:
    """A Compose implementation: Docker's own (`docker compose`), or Debian's
    docker-compose 1.29 against podman's Docker-compatible API socket."""

    command: tuple[str, ...]
    env: dict[str, str]
    socket: ApiSocket | None = None

    def __call__(
        self, project: Path, *args: str, timeout: float = 180, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self.command, *args],
            cwd=project,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise EngineFailed(f"compose {' '.join(args[:3])}: {done.stderr[-3000:]}")
        return done

    def popen(self, project: Path, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.command, *args],
            cwd=project,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()


@dataclass
class ApiSocket:
    """A Docker-compatible API for clients of Docker's (docker-compose, testcontainers):
    Docker's own, or podman's `system service` on a socket of the tests' own."""

    env: dict[str, str]
    service: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        if self.service is not None:
            self.service.terminate()
            self.service.wait(timeout=30)


def api_socket(engine: Engine, directory: Path) -> ApiSocket:
    if engine.name == "docker":
        return ApiSocket({})
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "containers.conf").write_text(PODMAN_SERVICE_CONF)
    socket = directory / "podman.sock"
    env = {"CONTAINERS_CONF": str(directory / "containers.conf")}
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    return ApiSocket({"DOCKER_HOST": f"unix://{socket}"}, service)


def find_compose(engine: Engine, directory: Path) -> Compose | str:
    """The Compose implementation to use with `engine`, or why there is none."""
    if engine.name == "docker":
        if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
            return "docker compose (v2) is not installed"
        return Compose(("docker", "compose"), {})
    if shutil.which("docker-compose") is None:
        return "docker-compose (Debian's, to drive podman's API socket) is not installed"
    socket = api_socket(engine, directory)
    return Compose(("docker-compose",), dict(socket.env), socket)
