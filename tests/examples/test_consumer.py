"""examples/consumer, a project that uses the emulator from outside: its own tests pass
against a server the plugin starts, and its CI files say what this repository tests.
(Against the container: tests/container/test_example.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "consumer"
LEAKING = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER")


def run_example_tests(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The example's tests, in a copy of it, with this environment's token-emulator."""
    copy = tmp_path / "consumer"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(LEAKING)}
    env["PYTHONPATH"] = str(copy)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:xdist"]
    command += ["--basetemp", str(tmp_path / "basetemp"), *args]
    return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)


def test_the_examples_tests_pass_with_the_plugins_own_server(tmp_path: Path) -> None:
    done = run_example_tests(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout


def test_the_workflow_runs_the_image_as_a_service_and_waits_on_its_health() -> None:
    workflow = yaml.safe_load((EXAMPLE / ".github" / "workflows" / "tests.yml").read_text())
    job = workflow["jobs"]["tests"]
    emulator = job["services"]["emulator"]
    assert emulator["ports"] == ["8080:8080"]
    options = emulator["options"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert '--health-cmd "python -m token_emulator.healthcheck"' in options
    assert 'CMD ["python", "-m", "token_emulator.healthcheck"]' in dockerfile
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs[-1] == "pytest -q --token-emulator-url http://localhost:8080"


def test_the_compose_file_runs_the_tests_once_the_emulator_is_healthy() -> None:
    compose = yaml.safe_load((EXAMPLE / "compose.yaml").read_text())
    tests = compose["services"]["tests"]
    assert tests["depends_on"] == {"emulator": {"condition": "service_healthy"}}
    assert tests["environment"]["TOKEN_EMULATOR_URL"] == "http://emulator:8080"
    check = compose["services"]["emulator"]["healthcheck"]["test"]
    assert check == ["CMD", "python", "-m", "token_emulator.healthcheck"]


def test_the_docs_show_the_examples_files_as_they_are() -> None:
    page = (REPO / "docs" / "deployment" / "docker.md").read_text()
    for path in (EXAMPLE / ".github" / "workflows" / "tests.yml", EXAMPLE / "compose.yaml"):
        assert f"```yaml\n{path.read_text()}```" in page, path
