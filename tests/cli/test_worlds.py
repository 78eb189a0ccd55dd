"""`worlds` and `--world`: a QA engineer's worlds from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli


def names(url: str) -> list[str]:
    return [world["name"] for world in httpx.get(f"{url}/_emulator/worlds").json()["worlds"]]


def test_worlds_create_list_export_import_delete(cli: Cli, url: str, tmp_path: Path) -> None:
    made = cli("worlds", "create", "qa-cli", "--url", url)
    assert made.code == 0, made.err
    assert made.out.splitlines()[0] == f"world qa-cli: control plane {url}/worlds/qa-cli/_emulator"
    assert f"uneeq    {url}/worlds/qa-cli/uneeq" in made.out
    try:
        moved = cli("--world", "qa-cli", "clock", "advance", "2h", "--url", url)
        assert moved.code == 0, moved.err
        token = cli("token", "uneeq", "--world", "qa-cli", "--url", url)
        assert token.code == 0, token.err
        assert httpx.get(f"{url}/_emulator/clock").json()["offset_seconds"] == 0
        exported = tmp_path / "qa-cli.json"
        written = cli("worlds", "export", "--world", "qa-cli", "-o", str(exported), "--url", url)
        assert written.code == 0, written.err
        assert json.loads(exported.read_text())["world"] == "qa-cli"
        copied = cli("worlds", "import", str(exported), "--name", "qa-copy", "--json", "--url", url)
        assert json.loads(copied.out)["name"] == "qa-copy"
        # The copy's clock is two hours on, as the original's; the URL may name the world.
        shown = cli("clock", "--json", "--url", f"{url}/worlds/qa-copy")
        assert json.loads(shown.out)["offset_seconds"] == pytest.approx(7200, abs=1)
        listed = cli("worlds", "list", "--url", url)
        assert [line.split()[0] for line in listed.out.splitlines()] == [
            "NAME",
            "default",
            "qa-cli",
            "qa-copy",
        ]
    finally:
        for name in ("qa-cli", "qa-copy"):
            cli("worlds", "delete", name, "--url", url)
    assert names(url) == ["default"]
    again = cli("worlds", "delete", "qa-cli", "--url", url)
    assert (again.code, again.err) == (1, "token-emulator: no world 'qa-cli' (HTTP 404)\n")


def test_worlds_create_with_fixtures_of_its_own(cli: Cli, url: str, tmp_path: Path) -> None:
    given = tmp_path / "fixtures.json"
    workspace = {"id": "cli", "secret": "test-only-uneeq-secret-cli-0123456789abcdef"}
    given.write_text(json.dumps({"uneeq": {"workspaces": [{**workspace, "region": "us"}]}}))
    made = cli("worlds", "create", "qa-given", "--fixtures-file", str(given), "--url", url)
    assert made.code == 0, made.err
    try:
        state = cli("state", "uneeq", "--world", "qa-given", "--url", url)
        assert sorted(w["id"] for w in json.loads(state.out)["workspaces"]) == [
            "cli",
            "demo",
            "demo-eu",
        ]
        bad = tmp_path / "bad.json"
        bad.write_text("{not json")
        refused = cli("worlds", "create", "--fixtures-file", str(bad), "--url", url)
        assert refused.code == 2 and "bad.json" in refused.err
    finally:
        cli("worlds", "delete", "qa-given", "--url", url)


def test_a_world_name_that_cannot_be_is_refused_before_asking(
    cli: Cli, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = cli("clock", "--world", "Not/A/World", "--url", url)
    assert refused.code == 2
    assert "is not a world name" in refused.err
    monkeypatch.setenv("EMULATOR_WORLD", "from-env")
    shown = cli("clock", "--json", "--url", url)
    assert shown.code == 0, shown.err
    assert names(url) == ["default", "from-env"]  # made by its first request
    cli("worlds", "delete", "from-env", "--url", url)
