"""Run `token-emulator` in-process (its `main(argv)`) and capture what it prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from token_emulator.cli import main
from token_emulator.testing import EmulatorProcess


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """`cli("clock", "show")`: main's exit code (argparse's too) and its output."""

    def run(*argv: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse's usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def url(server: EmulatorProcess, live: httpx.Client) -> str:
    """The session server's URL, reset to the fixtures."""
    return server.url
