"""unifize.toml validation: keys, files and references named by file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from token_emulator.cli import main

ORG = '[[orgs]]\nid = 1\nname = "Org"\n'
PUBLIC = RSAKey.generate_key(2048)


def app(extra: str) -> str:
    return f'[[apps]]\nid = 7\norg_id = 1\nbot_uid = "bot-7"\n{extra}'


CASES = [
    (
        "no-keys",
        ORG + app(""),
        "unifize.toml: apps[0] (id 7): field 'public_keys': give public_keys or public_key_files",
    ),
    (
        "missing-file",
        ORG + app('public_key_files = ["absent.pem"]\n'),
        "unifize.toml: apps[0] (id 7): field 'public_key_files': cannot read absent.pem",
    ),
    (
        "not-a-pem",
        ORG + app('public_keys = ["hello"]\n'),
        "unifize.toml: apps[0] (id 7): field 'public_keys': key 0: not an RSA public key in PEM "
        "form",
    ),
    (
        "private-key",
        ORG + app(f"public_keys = ['''{PUBLIC.as_pem(private=True).decode()}''']\n"),
        "field 'public_keys': key 0: not an RSA public key in PEM form (a private key was given",
    ),
    (
        "unknown-org",
        ORG
        + app(f"org_id = 5\npublic_keys = ['''{PUBLIC.as_pem().decode()}''']\n").replace(
            "org_id = 1\n", ""
        ),
        "unifize.toml: apps[0] (id 7): field 'org_id': org 5 is not in [[orgs]]",
    ),
    (
        "unknown-installation",
        ORG + app(f"installations = [3]\npublic_keys = ['''{PUBLIC.as_pem().decode()}''']\n"),
        "unifize.toml: apps[0] (id 7): field 'installations': org 3 is not in [[orgs]]",
    ),
    (
        "room-of-unknown-org",
        ORG + '[[chatrooms]]\nid = 1\norg_id = 4\ntitle = "t"\n',
        "unifize.toml: chatrooms[0] (id 1): field 'org_id': org 4 is not in [[orgs]]",
    ),
    (
        "org-id-string",
        '[[orgs]]\nid = "1"\nname = "Org"\n',
        "unifize.toml: orgs[0] (id '1'): field 'id': Input should be a valid integer",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (tmp_path / "unifize.toml").write_text(text)
    assert main(["check", "--fixtures", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err
