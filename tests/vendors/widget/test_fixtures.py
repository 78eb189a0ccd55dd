"""widget.toml: validation names file, entry and field; lifetimes are fixture settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import in_process, make_settings
from tests.vendors.widget.conftest import EXCHANGE, GUEST, ORIGIN, REFRESH, advance
from token_emulator.cli import main

ACCOUNTS = '[[accounts]]\nid = "acme"\n\n[[accounts]]\nid = "globex"\n'
AGENT = '[[agents]]\nid = "a1"\naccount = "acme"\ndisplay_name = "A"\n'
KEY = "pk_live_acme_TESTONLY1"


def client_key(key: str = KEY, account: str = "acme", agent: str = "a1", allow: str = "[]") -> str:
    return (
        f'[[client_keys]]\nkey = "{key}"\naccount = "{account}"\nagent_id = "{agent}"\n'
        f"allowlist = {allow}\n"
    )


def secret(key: str, account: str = "acme") -> str:
    return f'[[secret_keys]]\nkey = "{key}"\naccount = "{account}"\n'


KEY_FORMAT = (
    "must be pk_live_<account>_<random> for account 'acme', "
    "the random part 8 to 128 letters or digits"
)

CASES = [
    (
        "client-key-prefix",
        ACCOUNTS + AGENT + client_key("pk_test_acme_TESTONLY1"),
        f"widget.toml: client_keys[0] (key 'pk_test_acme_TESTONLY1'): field 'key': {KEY_FORMAT}",
    ),
    (
        "client-key-of-another-account",
        ACCOUNTS + AGENT + client_key("pk_live_globex_TESTONLY1"),
        f"widget.toml: client_keys[0] (key 'pk_live_globex_TESTONLY1'): field 'key': {KEY_FORMAT}",
    ),
    (
        "client-key-random-too-short",
        ACCOUNTS + AGENT + client_key("pk_live_acme_abc"),
        f"widget.toml: client_keys[0] (key 'pk_live_acme_abc'): field 'key': {KEY_FORMAT}",
    ),
    (
        "client-key-unknown-agent",
        ACCOUNTS + AGENT + client_key(agent="nobody"),
        f"widget.toml: client_keys[0] (key '{KEY}'): field 'agent_id': "
        "agent 'nobody' is not in [[agents]]",
    ),
    (
        "client-key-agent-of-another-account",
        ACCOUNTS
        + '[[agents]]\nid = "g1"\naccount = "globex"\ndisplay_name = "G"\n'
        + client_key(agent="g1"),
        f"widget.toml: client_keys[0] (key '{KEY}'): field 'agent_id': "
        "agent 'g1' belongs to account 'globex', not 'acme'",
    ),
    (
        "client-key-unknown-account",
        ACCOUNTS + AGENT + client_key("pk_live_initech_TESTONLY1", account="initech"),
        "widget.toml: client_keys[0] (key 'pk_live_initech_TESTONLY1'): field 'account': "
        "account 'initech' is not in [[accounts]]",
    ),
    (
        "bad-allowlist-entry",
        ACCOUNTS + AGENT + client_key(allow='["acme.com", "https://acme.com/"]'),
        f"widget.toml: client_keys[0] (key '{KEY[:11]}...'): field 'allowlist': entry 1 "
        "'https://acme.com/': an entry is [scheme://]host[:port], without path, query or user",
    ),
    (
        "wildcard-in-the-middle",
        ACCOUNTS + AGENT + client_key(allow='["www.*.acme.com"]'),
        f"widget.toml: client_keys[0] (key '{KEY[:11]}...'): field 'allowlist': entry 0 "
        "'www.*.acme.com': a wildcard may only be the whole first label, as in *.example.com",
    ),
    (
        "allowlist-not-a-list",
        ACCOUNTS + AGENT + client_key(allow='"acme.com"'),
        f"widget.toml: client_keys[0] (key '{KEY[:11]}...'): field 'allowlist': "
        "Input should be a valid list",
    ),
    (
        "duplicate-client-key",
        ACCOUNTS + AGENT + client_key() + client_key(),
        f"widget.toml: client_keys[1]: field 'key': duplicate key '{KEY[:11]}...'",
    ),
    (
        "secret-key-format",
        ACCOUNTS + secret("sk_acme_TESTONLY1"),
        "widget.toml: secret_keys[0]: field 'key': must be sk_live_<account>_<random> "
        "for account 'acme', the random part 8 to 128 letters or digits",
    ),
    (
        "secret-key-unknown-account",
        ACCOUNTS + secret("sk_live_nope_TESTONLY1", account="nope"),
        "widget.toml: secret_keys[0]: field 'account': account 'nope' is not in [[accounts]]",
    ),
    (
        "secret-key-twice",
        ACCOUNTS + secret("sk_live_acme_TESTONLY1") + secret("sk_live_acme_TESTONLY1"),
        "widget.toml: secret_keys[1]: field 'key': the same secret key is listed twice",
    ),
    (
        "auth-mode",
        ACCOUNTS + AGENT + 'auth_mode = "anyone"\n',
        "widget.toml: agents[0] (id 'a1'): field 'auth_mode': "
        "Input should be 'guest', 'user' or 'both'",
    ),
    (
        "agent-unknown-account",
        ACCOUNTS + AGENT.replace('"acme"', '"initech"'),
        "widget.toml: agents[0] (id 'a1'): field 'account': account 'initech' is not in "
        "[[accounts]]",
    ),
    (
        "duplicate-agent",
        ACCOUNTS + AGENT + AGENT,
        "widget.toml: agents[1]: field 'id': duplicate id 'a1'",
    ),
    (
        "branding-colour",
        ACCOUNTS + AGENT + '[agents.branding]\nprimary_color = "blue"\n',
        "widget.toml: agents[0] (id 'a1'): field 'branding.primary_color': "
        "String should match pattern",
    ),
    (
        "branding-unknown-field",
        ACCOUNTS + AGENT + '[agents.branding]\nfont = "serif"\n',
        "widget.toml: agents[0] (id 'a1'): field 'branding.font': Extra inputs are not permitted",
    ),
    (
        "account-with-underscore",
        '[[accounts]]\nid = "acme_corp"\n',
        "widget.toml: accounts[0] (id 'acme_corp'): field 'id': String should match pattern",
    ),
    (
        "zero-session-lifetime",
        "session_ttl_seconds = 0\n" + ACCOUNTS,
        "widget.toml: field 'session_ttl_seconds': Input should be greater than 0",
    ),
    (
        "negative-grace",
        "refresh_grace_seconds = -1\n" + ACCOUNTS,
        "widget.toml: field 'refresh_grace_seconds': Input should be greater than or equal to 0",
    ),
    (
        "unknown-setting",
        "visitor_ttl = 5\n" + ACCOUNTS,
        "widget.toml: field 'visitor_ttl': Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (tmp_path / "widget.toml").write_text(text)
    assert main(["check", "--fixtures", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err


def test_cross_entry_problems_never_print_a_secret_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ACCOUNTS + secret("sk_live_acme_TESTONLY1") + secret("sk_live_acme_TESTONLY1")
    (tmp_path / "widget.toml").write_text(text)
    assert main(["check", "--fixtures", str(tmp_path)]) == 1
    assert "sk_live_acme_TESTONLY1" not in capsys.readouterr().err


SHORT_LIVED = (
    "visitor_token_ttl_seconds = 60\nsession_ttl_seconds = 120\nrefresh_grace_seconds = 0\n"
    + ACCOUNTS
    + AGENT
    + client_key(allow='["localhost:*"]')
)


@pytest.fixture
async def short_lived(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    directory = tmp_path / "fixtures"
    directory.mkdir()
    (directory / "widget.toml").write_text(SHORT_LIVED)
    async for c in in_process(make_settings(tmp_path, fixtures_dir=directory)):
        await c.post("/_emulator/clock", json={"freeze": True})
        yield c


@pytest.mark.anyio
async def test_lifetimes_come_from_the_fixture(short_lived: httpx.AsyncClient) -> None:
    client = short_lived
    guest = (await client.post(GUEST, json={"client_key": KEY}, headers=ORIGIN)).json()
    assert guest["expires_in"] == 60
    body = {"token": guest["token"], "client_key": KEY}
    session = (await client.post(EXCHANGE, json=body, headers=ORIGIN)).json()
    assert session["expires_in"] == 120
    await advance(client, 119)
    fresh = await client.post(REFRESH, json={"refresh_token": session["session_token"]})
    assert fresh.status_code == 200
    await advance(client, 120)  # exactly at expiry, and no grace
    late = await client.post(REFRESH, json={"refresh_token": fresh.json()["session_token"]})
    assert late.status_code == 400
    state = (await client.get("/_emulator/state/widget")).json()
    assert state["settings"] == {
        "visitor_token_ttl_seconds": 60,
        "session_ttl_seconds": 120,
        "refresh_grace_seconds": 0,
    }
