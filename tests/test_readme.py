"""The README's curl examples run, as written, against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from token_emulator.testing import EmulatorProcess

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULT_URL = "http://127.0.0.1:8080"


def example_blocks() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    # The first two blocks are the install-and-run and install-and-test commands; the
    # HTTPS one starts its own server (tests/tls/test_readme_https.py).
    return [block for block in blocks[2:] if "curl" in block and "--tls" not in block]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("block", example_blocks(), ids=lambda b: b.split("\n", 1)[0][:40])
def test_readme_example_runs(server: EmulatorProcess, block: str) -> None:
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()
    script = (
        block.replace(DEFAULT_URL, server.url)
        .replace(".venv/bin/python", sys.executable)
        .replace(".venv/bin/token-emulator", str(Path(sys.executable).parent / "token-emulator"))
    )
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '"error"' not in result.stdout and "Unauthorized" not in result.stdout, result.stdout
    refusals = httpx.get(f"{server.url}/_emulator/requests", params={"status": "4xx"}).json()
    assert refusals == {"requests": []}, "a README example was refused"


def test_every_vendor_example_is_found() -> None:
    joined = "\n".join(example_blocks())
    for path in (
        "/uneeq/api/v1/clients/access/tokens",
        "/unifize/application/token",
        "/8x8/api/v1/tokens",
        "/web1on1/v2/auth/token",
        "/widget/api/v1/widget",
    ):
        assert path in joined
