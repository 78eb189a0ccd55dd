"""The HTTPS page's example (docs/deployment/https.md) runs as written, on a free port, in a
directory of its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.docs.pages import blocks
from token_emulator.testing import free_port


def https_block() -> str:
    [block] = [b.text for b in blocks() if b.language == "sh" and "--tls" in b.text]
    return block


def test_the_https_example_runs(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    script = https_block().replace("8443", str(free_port()))
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\nexport PATH={bin_dir}:$PATH\n{script}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    health, token = done.stdout.strip().rsplit("}", 1)
    assert '"status":"ready"' in health  # curl, trusting emulator-ca.pem
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token)  # the UneeQ token, over HTTPS
    assert (tmp_path / "emulator.sqlite3.tls" / "ca.pem").read_text() == (
        tmp_path / "emulator-ca.pem"
    ).read_text()
