"""Default credentials come from the fixture files, through the package's fixture loading."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import FIXTURES
from token_emulator.testing import MissingCredential
from token_emulator.vendors.eightbyeight.client import eightbyeight_api_key
from token_emulator.vendors.uneeq.client import uneeq_secret
from token_emulator.vendors.unifize.client import unifize_private_key
from token_emulator.vendors.web1on1.client import web1on1_login_of
from token_emulator.vendors.widget.client import widget_client_key, widget_secret_key


def toml(name: str) -> dict[str, object]:
    return tomllib.loads((FIXTURES / name).read_text())


def test_defaults_are_the_fixture_files_values() -> None:
    uneeq = toml("uneeq.toml")["workspaces"]
    assert uneeq_secret() == uneeq[0]["secret"]  # type: ignore[index]
    assert uneeq_secret("demo-eu") == uneeq[1]["secret"]  # type: ignore[index]
    assert eightbyeight_api_key() == toml("eightbyeight.toml")["api_keys"][0]["key"]  # type: ignore[index]
    assert web1on1_login_of() == ("admin@example.org", "t0pZ3kR3t")
    assert web1on1_login_of("Agent@Example.org") == ("agent@example.org", "agent-TEST-ONLY")
    widget = toml("widget.toml")
    assert widget_client_key() == widget["client_keys"][0]["key"]  # type: ignore[index]
    assert (
        widget_secret_key("pk_live_globex_TESTONLYmain0001") == "sk_live_globex_TESTONLYsecret0001"
    )
    assert (
        unifize_private_key() == (FIXTURES / "unifize-demo-app.TEST-ONLY.private.pem").read_text()
    )


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (lambda: uneeq_secret("nope"), "no UneeQ workspace 'nope' in"),
        (lambda: web1on1_login_of("who@example.org"), "no web1on1 user 'who@example.org' in"),
        (lambda: widget_secret_key("pk_live_unknown_x"), "no widget secret key for client key"),
    ],
)
def test_missing_credentials_say_what_to_pass(lookup: object, message: str) -> None:
    with pytest.raises(MissingCredential, match=message):
        lookup()  # type: ignore[operator]


def test_empty_fixture_directory(tmp_path: Path) -> None:
    with pytest.raises(MissingCredential, match="pass api_key"):
        eightbyeight_api_key(tmp_path)
    with pytest.raises(MissingCredential, match="pass client_key"):
        widget_client_key(tmp_path)
    with pytest.raises(MissingCredential, match="pass the key"):
        unifize_private_key(101, tmp_path)


def test_unifize_private_key_beside_the_apps_public_key(tmp_path: Path) -> None:
    key = RSAKey.generate_key(2048)
    (tmp_path / "app-7.public.pem").write_bytes(key.as_pem(private=False))
    (tmp_path / "app-7.TEST-ONLY.private.pem").write_bytes(key.as_pem(private=True))
    (tmp_path / "unifize.toml").write_text(
        '[[orgs]]\nid = 1\nname = "o"\n[[apps]]\nid = 7\norg_id = 1\nbot_uid = "b"\n'
        'public_key_files = ["app-7.public.pem"]\n'
    )
    assert unifize_private_key(7, tmp_path) == key.as_pem(private=True).decode()
