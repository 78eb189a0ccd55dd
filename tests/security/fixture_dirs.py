"""Fixture directories the security tests run on."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES


def fixtures_without_rate_limit(directory: Path) -> Path:
    """The default fixtures, but web1on1's per-second limit off: these tests send
    hundreds of requests in one second of a frozen emulator clock, and would otherwise
    mostly read 429s (the limit itself is tested in tests/vendors/web1on1/test_rate_limit.py)."""
    copy = directory / "fixtures"
    shutil.copytree(FIXTURES, copy)
    web1on1 = copy / "web1on1.toml"
    text = web1on1.read_text()
    limit = "\nrate_limit_per_second = 20\n"
    assert limit in text
    web1on1.write_text(text.replace(limit, "\nrate_limit_per_second = 0\n"))
    return copy
