"""Every shell and Python example of the README and the docs runs, as written, against
a real server: each is claimed by one runner (tests/docs/examples.py), the shell
ones and the client helpers' example here."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.docs.examples import RUNNERS, Runner, _shell, helpers_example, vendor_excerpt
from tests.docs.pages import DEFAULT_URL, REPO, Block, blocks
from token_emulator.testing import EmulatorProcess

BIN = Path(sys.executable).parent


def runners_of(block: Block) -> list[Runner]:
    return [runner for runner in RUNNERS if runner.claims(block)]


def test_every_example_is_run_by_one_test() -> None:
    for block in blocks():
        if block.language in ("sh", "python"):
            claimed = runners_of(block)
            assert len(claimed) == 1, f"{block.where}: run by {[r.test for r in claimed]}"
            assert (REPO / claimed[0].test).is_file(), claimed[0].test
        elif block.language == "console":
            # Commands for another machine: the test that runs their equivalent is named.
            assert block.run_by, f"{block.where}: a console block without <!-- run by: -->"
            assert (REPO / block.run_by).exists(), f"{block.where}: {block.run_by} is not a file"
        else:
            assert block.language in ("toml", "yaml", "text", "json", ""), block.where
        claimed_by_ci = block.run_by == ".ci/run" or (
            block.language == "sh" and [r.test for r in runners_of(block)] == [".ci/run"]
        )
        if claimed_by_ci:
            # What CI is said to run, it runs as written.
            ci = (REPO / ".ci" / "run").read_text()
            for line in block.text.strip().splitlines():
                assert line.split("  #")[0].strip() in ci, f"{block.where}: {line}"


def shell_script(block: Block, url: str) -> str:
    return (
        block.text.replace(DEFAULT_URL, url)
        .replace(".venv/bin/python", sys.executable)
        .replace(".venv/bin/token-emulator", str(BIN / "token-emulator"))
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("block", [b for b in blocks() if _shell(b)], ids=lambda b: b.where)
def test_shell_example_runs(server: EmulatorProcess, block: Block, tmp_path: Path) -> None:
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + shell_script(block, server.url)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**_environment(), "EMULATOR_URL": server.url, "PATH": f"{BIN}:/usr/bin:/bin"},
    )
    assert done.returncode == 0, f"{block.where}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stdout + done.stderr
    # Nothing the example sent was refused but what it refused on purpose: a fault it
    # set, or the refusal it shows (the clock moved past an expiry).
    refused = httpx.get(f"{server.url}/_emulator/requests", params={"status": "4xx"}).json()
    for entry in refused["requests"]:
        assert entry["forced"] or "expired" in (entry["reason"] or ""), (block.where, entry)
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("EMULATOR_")}


@pytest.mark.parametrize(
    "block", [b for b in blocks() if helpers_example(b)], ids=lambda b: b.where
)
def test_python_example_runs(server: EmulatorProcess, block: Block) -> None:
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()
    namespace: dict[str, Any] = {}
    exec(compile(block.text.replace(DEFAULT_URL, server.url), block.where, "exec"), namespace)
    # Its async tests run too, on a client of the same server.
    for name, test in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(test):

            async def run(test: Any = test) -> None:
                async with httpx.AsyncClient(base_url=server.url) as client:
                    await test(client)

            asyncio.run(run())
    refused = httpx.get(f"{server.url}/_emulator/requests", params={"status": "4xx"}).json()
    assert refused == {"requests": []}, block.where


EXAMPLE_VENDOR = REPO / "tests" / "example_vendor"


@pytest.mark.parametrize("block", [b for b in blocks() if vendor_excerpt(b)], ids=lambda b: b.where)
def test_the_vendor_guide_shows_the_example_vendor_as_it_is(block: Block) -> None:
    """Its blocks are the example vendor's code, which tests/vendors/test_contract.py
    serves beside the built-in vendors; the registry's line gains the example's id."""
    if block.text.startswith("PACKAGES = "):
        registry = (REPO / "token_emulator" / "vendors" / "__init__.py").read_text()
        line = re.search(r"^PACKAGES = \(.*\)$", registry, re.M)
        assert line, "the registry's PACKAGES line"
        assert block.text.strip() == line[0].replace(")", ', "example")')
        return
    sources = [path.read_text() for path in EXAMPLE_VENDOR.glob("*.py")]
    wanted = textwrap.dedent(block.text).strip()
    assert any(
        wanted in textwrap.dedent(source) or _indented_in(wanted, source) for source in sources
    )


def _indented_in(wanted: str, source: str) -> bool:
    """`wanted`, indented as a whole by some amount, is in `source`."""
    for indent in ("    ", "        "):
        shifted = "\n".join(indent + line if line else line for line in wanted.splitlines())
        if shifted in source:
            return True
    return False
