"""examples/consumer's tests against the emulator's container, as its CI runs them."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.container.conftest import Start
from tests.examples.test_consumer import run_example_tests


def test_the_examples_tests_pass_against_the_container(start: Start, tmp_path: Path) -> None:
    running = start()
    done = run_example_tests(tmp_path, "--token-emulator-url", running.url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout
    # Each test ran in a world of its own there, deleted after it.
    listed = httpx.get(f"{running.url}/_emulator/worlds").json()["worlds"]
    assert [world["name"] for world in listed] == ["default"]
    assert httpx.get(f"{running.url}/_emulator/requests").json()["requests"] == []
