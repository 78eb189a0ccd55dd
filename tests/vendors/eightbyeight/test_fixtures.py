"""eightbyeight.toml validation, and what the fixtures seed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import in_process, make_settings
from tests.vendors.eightbyeight.conftest import bearer
from token_emulator.cli import main

pytestmark = pytest.mark.anyio

KEY = '[[api_keys]]\nkey = "a-test-key-1"\nname = "a"\n'

CASES = [
    (
        "missing-name",
        '[[api_keys]]\nkey = "a-test-key-1"\n',
        "eightbyeight.toml: api_keys[0] (key 'a-test...'): field 'name': Field required",
    ),
    (
        "short-key",
        '[[api_keys]]\nkey = "short"\nname = "a"\n',
        "eightbyeight.toml: api_keys[0] (key 'sh...'): field 'key': String should have at least 8",
    ),
    (
        "key-with-space",
        '[[api_keys]]\nkey = "has a space"\nname = "a"\n',
        "field 'key': String should match pattern",
    ),
    (
        "duplicate-key",
        KEY + KEY.replace('name = "a"', 'name = "b"'),
        "eightbyeight.toml: api_keys[1]: field 'key': duplicate key 'a-test...'",
    ),
    (
        "duplicate-name",
        KEY + KEY.replace("key-1", "key-2"),
        "eightbyeight.toml: api_keys[1]: field 'name': duplicate name 'a'",
    ),
    (
        "duplicate-email",
        '[[agents]]\nemail = "a@example.com"\n[[agents]]\nemail = "A@Example.com"\n',
        "eightbyeight.toml: agents[1]: field 'email': duplicate email 'A@Example.com' "
        "(emails compare case-insensitively)",
    ),
    (
        "not-an-email",
        '[[agents]]\nemail = "nobody"\n',
        "eightbyeight.toml: agents[0]: field 'email': String should match pattern",
    ),
    (
        "ttl-zero",
        "room_ttl_seconds = 0\n",
        "eightbyeight.toml: field 'room_ttl_seconds': Input should be greater than 0",
    ),
    (
        "ttl-string",
        'room_ttl_seconds = "900"\n',
        "eightbyeight.toml: field 'room_ttl_seconds': Input should be a valid integer",
    ),
    (
        "typo",
        KEY + 'secert = "x"\n',
        "eightbyeight.toml: api_keys[0] (key 'a-test...'): field 'secert': Extra inputs",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (tmp_path / "eightbyeight.toml").write_text(text)
    assert main(["check", "--fixtures", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err


async def test_room_ttl_seconds_sets_room_and_token_lifetime(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "eightbyeight.toml").write_text(
        f'room_ttl_seconds = 60\n{KEY}[[agents]]\nemail = "a@example.com"\n'
    )
    async for http in in_process(make_settings(tmp_path, fixtures_dir=fixtures)):
        await http.post("/_emulator/clock", json={"freeze": True})
        answer = (
            await http.post(
                "/8x8/api/v1/tokens", headers=bearer("a-test-key-1"), json={"create_room": True}
            )
        ).json()
        guest = answer["guest_link"].removeprefix("http://emulator.test")
        await http.post("/_emulator/clock", json={"advance": 59})
        assert (await http.get(guest)).status_code == 200
        await http.post("/_emulator/clock", json={"advance": 1})
        assert (await http.get(guest)).status_code == 410
        held = (await http.get("/_emulator/state/8x8")).json()
        assert held["room_ttl_seconds"] == 60
        assert held["api_keys"] == [{"name": "a", "key": "a-te…(12 chars)"}]
        assert held["tokens"][0]["status"] == "expired"


async def test_state_masks_the_default_keys(client: httpx.AsyncClient) -> None:
    held = (await client.get("/_emulator/state/8x8")).json()
    assert held["api_keys"] == [
        {"name": "demo", "key": "demo…(26 chars)"},
        {"name": "other", "key": "othe…(27 chars)"},
    ]
    assert [agent["email"] for agent in held["agents"]] == [
        "agent@example.com",
        "second.agent@example.com",
    ]
    assert "TEST-ONLY" not in str(held)
