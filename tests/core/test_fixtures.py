"""Fixture validation: `token-emulator check` names the file, the entry and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from token_emulator.cli import main


def write_uneeq(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "uneeq.toml").write_text(text)
    return directory


def test_default_fixtures_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--fixtures", str(FIXTURES)]) == 0
    assert "are valid" in capsys.readouterr().out


WORKSPACE = 'id = "w1"\nsecret = "s3cret"\nregion = "us"\n'

CASES = [
    (
        "missing-field",
        '[[workspaces]]\nid = "w1"\nregion = "us"\n',
        "uneeq.toml: workspaces[0] (id 'w1'): field 'secret': Field required",
    ),
    (
        "wrong-type",
        f'[[workspaces]]\n{WORKSPACE}token_ttl_seconds = "300"\n',
        "uneeq.toml: workspaces[0] (id 'w1'): field 'token_ttl_seconds': Input should be a valid "
        "integer",
    ),
    (
        "not-positive",
        f"[[workspaces]]\n{WORKSPACE}token_ttl_seconds = 0\n",
        "uneeq.toml: workspaces[0] (id 'w1'): field 'token_ttl_seconds': Input should be greater "
        "than 0",
    ),
    (
        "bad-region",
        '[[workspaces]]\nid = "w1"\nsecret = "s"\nregion = "mars"\n',
        "uneeq.toml: workspaces[0] (id 'w1'): field 'region': Input should be 'us', 'eu', 'au' or "
        "'sg'",
    ),
    (
        "typo",
        f'[[workspaces]]\n{WORKSPACE}secert = "x"\n',
        "uneeq.toml: workspaces[0] (id 'w1'): field 'secert': Extra inputs are not permitted",
    ),
    (
        "duplicate",
        f"[[workspaces]]\n{WORKSPACE}\n[[workspaces]]\n{WORKSPACE}",
        "uneeq.toml: workspaces[1]: field 'id': duplicate id 'w1'",
    ),
    (
        "second-entry",
        f'[[workspaces]]\n{WORKSPACE}\n[[workspaces]]\nid = "w2"\nsecret = 5\nregion = "eu"\n',
        "uneeq.toml: workspaces[1] (id 'w2'): field 'secret': Input should be a valid string",
    ),
    ("not-toml", "[[workspaces]\n", "uneeq.toml: not valid TOML"),
    (
        "unknown-section",
        "[[personas]]\nid = 1\n",
        "uneeq.toml: field 'personas': Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_names_file_entry_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    directory = write_uneeq(tmp_path / "fixtures", text)
    assert main(["check", "--fixtures", str(directory)]) == 1
    assert message in capsys.readouterr().err


def test_check_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--fixtures", str(tmp_path / "absent")]) == 1
    assert "absent: not a directory" in capsys.readouterr().err


def test_a_missing_vendor_file_means_no_entries(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["check", "--fixtures", str(tmp_path / "empty")]) == 0


def test_serve_refuses_invalid_fixtures_before_binding(tmp_path: Path) -> None:
    directory = write_uneeq(tmp_path / "fixtures", "[[workspaces]]\nid = 3\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "token_emulator",
            "serve",
            "--port",
            "1",
            "--fixtures",
            str(directory),
            "--database",
            ":memory:",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "uneeq.toml: workspaces[0] (id 3): field 'id': Input should be a valid string" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
