"""The Docker image and compose file, tested without a Docker engine.

What runs: the Dockerfile's CMD and HEALTHCHECK, read from the file, as plain
processes with the Dockerfile's ENV (EMULATOR_HOST stays 0.0.0.0, as in the
image; only the port, the data directory and the fixture directory change to
a free port and temporary directories); the compose service's environment on
top of that; and the project built the way the image builds it (the COPY
sources, minus .dockerignore, into a wheel, run from the unpacked wheel).
What does not: `docker build`, `docker run`, `docker compose up` (the file
ownership of /data, the user, the base image's contents).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import signal
import subprocess
import sys
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import yaml

from tests.docker import dockerfile
from tests.docker.conftest import REPO, Container, image_env, pid_namespaces, run_healthcheck
from tests.docs.pages import DOCS, blocks
from token_emulator.healthcheck import TIMEOUT_SECONDS, health_url
from token_emulator.testing import EmulatorProcess, free_port
from token_emulator.vendors import all_vendors

COMPOSE = REPO / "compose.yaml"
SERVICE = "emulator"


def start(
    containers: list[Container],
    image: dockerfile.Dockerfile,
    tmp_path: Path,
    env: dict[str, str],
    healthcheck: tuple[str, ...] | None = None,
    *,
    pid1: bool = False,
) -> Container:
    workdir = tmp_path / "home"
    workdir.mkdir(exist_ok=True)
    container = Container(
        image.cmd.argv,
        healthcheck or image.healthcheck.command.argv,
        env,
        workdir,
        tmp_path / "container.log",
        pid1=pid1,
    )
    containers.append(container)
    return container.start()


def assert_stopped_cleanly(container: Container, code: int) -> None:
    log = container.log.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log, log
    # After its graceful shutdown uvicorn raises the SIGTERM again with the
    # default action: a plain process ends by it, PID 1 ignores it and exits 0
    # (test_docker_stop_exits_0_as_pid_1).
    assert code in (0, -signal.SIGTERM), code


def assert_unhealthy(outcome: Any) -> None:
    assert outcome.code == 1, outcome
    assert outcome.stderr.startswith("unhealthy: "), outcome
    assert "Traceback" not in outcome.stderr, outcome.stderr


# --- the Dockerfile ----------------------------------------------------------


def test_dockerfile_facts(image: dockerfile.Dockerfile) -> None:
    match = re.fullmatch(r"python:3\.(\d+)-slim(-\w+)?", image.base_image)
    assert match and int(match[1]) >= 11, f"a slim Python 3.11+ pinned by tag: {image.base_image}"
    user = image.user.split(":")[0]
    assert user not in {"root", "0", ""}, "the image runs as a non-root user"
    assert image.exposed == {"8080"} and image.env["EMULATOR_PORT"] == "8080"
    assert image.env["EMULATOR_HOST"] == "0.0.0.0"
    assert str(PurePosixPath(image.env["EMULATOR_DATABASE"]).parent) in image.volumes
    assert image.cmd == dockerfile.Command(exec_form=True, argv=("token-emulator", "serve"))
    check = image.healthcheck
    assert check.command.exec_form and check.command.argv[0] == "python"
    words = " ".join(check.command.argv).lower()
    assert "curl" not in words and "wget" not in words
    # The module gives up before Docker would kill it, so its reason is what Docker records.
    assert dockerfile.duration_seconds(check.options["timeout"]) > TIMEOUT_SECONDS
    assert {"interval", "start-period", "retries"} <= check.options.keys()


def test_cmd_starts_the_emulator_and_healthcheck_reports_it(
    image: dockerfile.Dockerfile, tmp_path: Path, containers: list[Container]
) -> None:
    """Must hold: the Docker CMD and HEALTHCHECK, read from the Dockerfile, start and report."""
    data = tmp_path / "data"
    data.mkdir()
    env = image_env(
        image,
        EMULATOR_PORT=str(free_port()),
        EMULATOR_DATABASE=str(data / "emulator.sqlite3"),
        EMULATOR_FIXTURES=str(REPO / "fixtures"),
    )
    assert env["EMULATOR_HOST"] == "0.0.0.0"  # the image's, unchanged
    container = Container(
        image.cmd.argv, image.healthcheck.command.argv, env, tmp_path, tmp_path / "c.log"
    )
    # Before the server runs, the check fails with a reason and no traceback.
    assert_unhealthy(run_healthcheck(container.healthcheck, env, tmp_path))

    containers.append(container.start())
    healthy = container.wait_healthy()
    assert healthy.stdout.strip() == f"{container.url}/_emulator/health answered 200"
    for failed in container.checks[:-1]:
        assert_unhealthy(failed)

    health = httpx.get(f"{container.url}/_emulator/health").json()
    assert health["status"] == "ready"
    assert health["vendors"] == [vendor.id for vendor in all_vendors()]
    assert health["fixtures"]["directory"] == str(REPO / "fixtures")
    assert (data / "emulator.sqlite3").is_file(), "the database goes to EMULATOR_DATABASE"

    # On a port where nothing listens, the check fails.
    wrong = {**env, "EMULATOR_PORT": str(free_port())}
    assert_unhealthy(run_healthcheck(container.healthcheck, wrong, tmp_path))

    assert_stopped_cleanly(container, container.stop(signal.SIGTERM))
    log = container.log.read_text()
    # 0.0.0.0 without an admin token: serve says the control plane is open.
    assert "EMULATOR_ADMIN_TOKEN" in log
    assert_unhealthy(run_healthcheck(container.healthcheck, env, tmp_path))


def test_docker_stop_exits_0_as_pid_1(
    image: dockerfile.Dockerfile, tmp_path: Path, containers: list[Container]
) -> None:
    """The exec-form CMD makes the server PID 1; `docker stop` sends it SIGTERM."""
    if reason := pid_namespaces():
        pytest.skip(reason)
    env = image_env(
        image,
        EMULATOR_PORT=str(free_port()),
        EMULATOR_DATABASE=str(tmp_path / "emulator.sqlite3"),
        EMULATOR_FIXTURES=str(REPO / "fixtures"),
    )
    container = start(containers, image, tmp_path, env, pid1=True)
    container.wait_healthy()
    assert container.stop(signal.SIGTERM) == 0
    log = container.log.read_text()
    assert "Finished server process [1]" in log, log
    assert_stopped_cleanly(container, 0)


class _Answers503(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server_503() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthcheck_fails_on_a_non_200_and_a_bad_port(
    image: dockerfile.Dockerfile, tmp_path: Path, server_503: int
) -> None:
    argv = image.healthcheck.command.argv
    outcome = run_healthcheck(argv, image_env(image, EMULATOR_PORT=str(server_503)), tmp_path)
    assert_unhealthy(outcome)
    assert outcome.stderr == (
        f"unhealthy: http://127.0.0.1:{server_503}/_emulator/health answered 503\n"
    )
    for port in ("eighty", "0", "70000", "-1", "٨٠", "9" * 5000):
        outcome = run_healthcheck(argv, image_env(image, EMULATOR_PORT=port), tmp_path)
        assert_unhealthy(outcome)
        assert outcome.stderr == f"unhealthy: EMULATOR_PORT is not a port: {port!r}\n"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("0.0.0.0", "8080", "http://127.0.0.1:8080/_emulator/health"),
        ("", "9000", "http://127.0.0.1:9000/_emulator/health"),
        ("::", "8080", "http://[::1]:8080/_emulator/health"),
        ("127.0.0.2", "8081", "http://127.0.0.2:8081/_emulator/health"),
        ("::1", "8080", "http://[::1]:8080/_emulator/health"),
        ("[::1]", "8080", "http://[::1]:8080/_emulator/health"),
        ("[::]", "8080", "http://[::1]:8080/_emulator/health"),
        ("localhost", " 8080 ", "http://localhost:8080/_emulator/health"),
    ],
)
def test_healthcheck_asks_where_serve_listens(host: str, port: str, url: str) -> None:
    assert health_url({"EMULATOR_HOST": host, "EMULATOR_PORT": port}) == url


@pytest.mark.parametrize("host", ["localhost/x?y", "a b", "user@host", "héllo", "[::1", "%"])
def test_healthcheck_refuses_a_host_that_is_not_one(
    image: dockerfile.Dockerfile, tmp_path: Path, host: str
) -> None:
    outcome = run_healthcheck(
        image.healthcheck.command.argv, image_env(image, EMULATOR_HOST=host), tmp_path
    )
    assert_unhealthy(outcome)
    assert outcome.stderr == f"unhealthy: EMULATOR_HOST is not a host name or address: {host!r}\n"


def test_healthcheck_defaults_to_serves_defaults() -> None:
    assert health_url({}) == "http://127.0.0.1:8080/_emulator/health"


@pytest.mark.parametrize(
    ("tls", "scheme"),
    [
        ({"EMULATOR_TLS": "1"}, "https"),
        ({"EMULATOR_TLS": "true"}, "https"),
        ({"EMULATOR_TLS_CERT": "/certs/server.pem"}, "https"),
        ({"EMULATOR_TLS": "0"}, "http"),
        ({"EMULATOR_TLS": ""}, "http"),  # compose's unset ${EMULATOR_TLS:-}
    ],
)
def test_healthcheck_asks_over_https_when_serve_serves_it(tls: dict[str, str], scheme: str) -> None:
    assert health_url(tls) == f"{scheme}://127.0.0.1:8080/_emulator/health"


def test_healthcheck_over_https_takes_the_servers_certificate_without_trusting_it(
    image: dockerfile.Dockerfile, tmp_path: Path
) -> None:
    port = free_port()
    env = image_env(image, EMULATOR_PORT=str(port), EMULATOR_TLS="1")
    database = tmp_path / "emulator.sqlite3"
    with EmulatorProcess(database, fixtures=REPO / "fixtures", port=port, env=env, tls=True):
        outcome = run_healthcheck(image.healthcheck.command.argv, env, tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout == f"https://127.0.0.1:{port}/_emulator/health answered 200\n"


# --- compose.yaml ------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:-default}, the forms compose.yaml uses."""

    def one(match: re.Match[str]) -> str:
        return variables.get(match[1]) or (match[2] or "")

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", one, value)


def mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """The service's volumes in the long syntax, whichever syntax the file uses."""
    result = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            result.append(entry)
            continue
        source, target, *mode = entry.split(":")
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        read_only = bool(mode) and "ro" in mode[0].split(",")
        result.append({"type": kind, "source": source, "target": target, "read_only": read_only})
    return result


def test_compose_runs_the_image_with_its_healthcheck(image: dockerfile.Dockerfile) -> None:
    service = compose()["services"][SERVICE]
    build = service["build"]
    context = build if isinstance(build, str) else build["context"]
    assert (COMPOSE.parent / context / "Dockerfile").is_file()
    check = service["healthcheck"]
    assert check["test"] == ["CMD", *image.healthcheck.command.argv]
    for option in ("interval", "timeout", "start_period"):
        assert dockerfile.duration_seconds(check[option]) > 0
    assert dockerfile.duration_seconds(check["timeout"]) > TIMEOUT_SECONDS
    assert isinstance(check["retries"], int) and check["retries"] > 0
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    # Published on loopback unless asked otherwise: its control plane is open.
    exposed = next(iter(image.exposed))
    assert service["ports"] == [
        f"${{EMULATOR_BIND:-127.0.0.1}}:${{EMULATOR_HOST_PORT:-8080}}:{exposed}"
    ]


def test_compose_mounts_fixtures_read_only_and_a_volume_for_the_database(
    image: dockerfile.Dockerfile,
) -> None:
    document = compose()
    service = document["services"][SERVICE]
    by_target = {mount["target"]: mount for mount in mounts(service)}

    fixtures = by_target[service["environment"]["EMULATOR_FIXTURES"]]
    assert fixtures["type"] == "bind" and fixtures["read_only"] is True
    assert (COMPOSE.parent / fixtures["source"]).resolve() == REPO / "fixtures"

    data = by_target[str(PurePosixPath(image.env["EMULATOR_DATABASE"]).parent)]
    assert data["type"] == "volume" and data["source"] in document["volumes"]
    assert data["target"] in image.volumes


def consumer_example() -> dict[str, Any]:
    """compose.yaml's commented consumer, uncommented: a service beside the emulator."""
    text = COMPOSE.read_text()
    begin, end = "# --- example consumer: begin ---", "# --- example consumer: end ---"
    block = text[text.index(begin) + len(begin) : text.index(end)]
    uncommented = "\n".join(re.sub(r"^(\s*)# ?", r"\1", line) for line in block.splitlines())
    services: dict[str, Any] = yaml.safe_load("services:\n" + uncommented)["services"]
    return services


def test_compose_shows_a_consumer_waiting_for_service_healthy() -> None:
    assert "condition: service_healthy" in COMPOSE.read_text()
    services = consumer_example()
    assert len(services) == 1
    (consumer,) = services.values()
    assert consumer["depends_on"] == {SERVICE: {"condition": "service_healthy"}}
    urls = {v for v in consumer["environment"].values() if v.startswith("http://emulator:8080/")}
    prefixes = {url.removeprefix("http://emulator:8080/") for url in urls}
    # An example: every URL it shows is a vendor's; it need not show them all.
    assert prefixes and prefixes <= {vendor.id for vendor in all_vendors()}


def test_the_docs_show_the_compose_consumer() -> None:
    page = DOCS / "deployment" / "docker.md"
    (block,) = [b.text for b in blocks(page, "yaml") if b.text.startswith("  my-service:")]
    assert yaml.safe_load("services:\n" + block)["services"] == consumer_example()


def test_compose_service_runs_and_closes_the_control_plane_with_a_token(
    image: dockerfile.Dockerfile, tmp_path: Path, containers: list[Container]
) -> None:
    """The image's ENV, then the service's environment as compose interpolates it."""
    service = compose()["services"][SERVICE]
    variables = {"EMULATOR_ADMIN_TOKEN": "compose-test-token"}
    environment = {k: interpolate(str(v), variables) for k, v in service["environment"].items()}
    assert environment["EMULATOR_ADMIN_TOKEN"] == "compose-test-token"
    # What the fixtures mount maps the service's EMULATOR_FIXTURES to.
    mount = {m["target"]: m for m in mounts(service)}[environment["EMULATOR_FIXTURES"]]
    environment["EMULATOR_FIXTURES"] = str((COMPOSE.parent / mount["source"]).resolve())
    data = tmp_path / "data"
    data.mkdir()
    env = image_env(
        image,
        **environment,
        EMULATOR_PORT=str(free_port()),
        EMULATOR_DATABASE=str(data / "emulator.sqlite3"),
    )
    container = start(
        containers, image, tmp_path, env, healthcheck=tuple(service["healthcheck"]["test"][1:])
    )
    container.wait_healthy()  # health stays open under the token
    state = f"{container.url}/_emulator/state/uneeq"
    assert httpx.get(state).status_code == 401
    token = {"authorization": "Bearer compose-test-token"}
    assert httpx.get(state, headers=token).status_code == 200
    assert_stopped_cleanly(container, container.stop(signal.SIGTERM))
    assert "EMULATOR_ADMIN_TOKEN" not in container.log.read_text()


def test_compose_default_leaves_the_token_unset() -> None:
    service = compose()["services"][SERVICE]
    value = interpolate(service["environment"]["EMULATOR_ADMIN_TOKEN"], {})
    assert value == ""  # and Settings.from_env reads an empty token as none


# --- the image's install, from the checkout ----------------------------------


def install_step(image: dockerfile.Dockerfile) -> tuple[str, str]:
    """The RUN's pip install source (without its extras) and its `python -c` code that
    fills EMULATOR_FIXTURES."""
    source, _extras, code = install_parts(image)
    return source, code


def install_parts(image: dockerfile.Dockerfile) -> tuple[str, set[str], str]:
    run = next(ins.arguments for ins in image.all("RUN") if "pip install" in ins.arguments)
    steps = [shlex.split(step) for step in run.split("&&")]
    pip = next(words for words in steps if words[:2] == ["pip", "install"])
    code = next(words[2] for words in steps if words[:2] == ["python", "-c"])
    source, _, extras = pip[-1].partition("[")
    return source, {e.strip() for e in extras.rstrip("]").split(",") if e.strip()}, code


def test_the_image_installs_the_postgres_extra(image: dockerfile.Dockerfile) -> None:
    _source, extras, _code = install_parts(image)
    assert extras == {"postgres"}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["optional-dependencies"]["postgres"]] == ["asyncpg"]


def test_the_image_install_packs_fixtures_dashboard_and_healthcheck(
    image: dockerfile.Dockerfile, tmp_path: Path, containers: list[Container]
) -> None:
    root = tmp_path / "image"
    copied = dockerfile.stage_copies(image, REPO, root)
    assert copied and not [p for p in copied if "__pycache__" in p.parts]
    source, fill_fixtures = install_step(image)

    dist = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", str(root / source.lstrip("/"))]
    command += ["--no-deps", "-q", "-w", str(dist)]
    if importlib.util.find_spec("hatchling"):
        command.append("--no-build-isolation")  # offline when the backend is at hand
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("token_emulator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"token_emulator/healthcheck.py", "token_emulator/control/dashboard.html"}
    expected |= {f"token_emulator/default_fixtures/{p.name}" for p in (REPO / "fixtures").iterdir()}
    assets = REPO / "token_emulator" / "control" / "assets"
    expected |= {f"token_emulator/control/assets/{p.name}" for p in assets.iterdir()}
    assert expected <= names, expected - names
    assert not [n for n in names if n.endswith((".sqlite3", ".pyc")) or n.startswith("tests/")]

    # The unpacked wheel stands for the image's site-packages.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    home = tmp_path / "home"
    home.mkdir()
    fixtures = tmp_path / "fixtures"
    assert f"'{image.env['EMULATOR_FIXTURES']}'" in fill_fixtures
    code = fill_fixtures.replace(f"'{image.env['EMULATOR_FIXTURES']}'", repr(str(fixtures)))
    env = image_env(
        image,
        PYTHONPATH=str(site),
        EMULATOR_FIXTURES=str(fixtures),
        EMULATOR_PORT=str(free_port()),
        EMULATOR_DATABASE=str(tmp_path / "emulator.sqlite3"),
    )
    where = subprocess.run(
        ["python", "-c", "import token_emulator; print(token_emulator.__file__)"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)
    subprocess.run(["python", "-c", code], env=env, cwd=home, check=True, timeout=60)
    for file in (REPO / "fixtures").iterdir():
        assert (fixtures / file.name).read_bytes() == file.read_bytes()

    container = start(containers, image, tmp_path, env)
    container.wait_healthy()
    health = httpx.get(f"{container.url}/_emulator/health").json()
    assert health["fixtures"]["directory"] == str(fixtures)
    assert set(health["fixtures"]["files"]) == {vendor.id for vendor in all_vendors()}
    for path in ("/_emulator/", "/_emulator/assets/dashboard.js"):
        assert httpx.get(container.url + path).status_code == 200, path
    assert_stopped_cleanly(container, container.stop(signal.SIGTERM))


def test_dockerignore_keeps_local_state_out_and_the_sources_in(
    image: dockerfile.Dockerfile,
) -> None:
    patterns = dockerfile.ignore_patterns((REPO / ".dockerignore").read_text())
    for path in (
        ".venv/bin/python",
        ".git",
        "emulator.sqlite3",
        "data/emulator.sqlite3-wal",
        "token_emulator/__pycache__/app.cpython-311.pyc",
        ".pytest_cache/v/cache",
        "test-artifacts/dashboard.png",
        "tests/conftest.py",
    ):
        assert dockerfile.is_ignored(path, patterns), path
    for sources, _ in image.copies:
        for source in sources:
            origin = REPO / source
            files = [origin] if origin.is_file() else [p for p in origin.rglob("*") if p.is_file()]
            for file in files:
                relative = file.relative_to(REPO).as_posix()
                if "__pycache__" in file.parts:
                    continue
                assert not dockerfile.is_ignored(relative, patterns), relative
