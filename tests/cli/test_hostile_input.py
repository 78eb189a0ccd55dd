"""Whatever a person types, the CLI answers one line and an exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from joserfc.jwk import ECKey

from tests.cli.conftest import Cli

DEEP = "[" * 100_000


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["clock", "--url", "http://[::1"], 2, "http://[::1 is not a usable emulator URL"),
        (["clock", "--url", "http://256.1.1.1"], 2, "is not a usable emulator URL"),
        (["clock", "--url", "ftp://x"], 2, "ftp://x is not a usable emulator URL"),
        (["clock", "--timeout", "nan"], 2, "give seconds above 0"),
        (["requests", "--interval", "1e308"], 2, "give seconds above 0, at most 86400"),
        (["requests", "--follow", "--max-polls", "0"], 2, "--max-polls must be at least 1"),
        (["fault", "add", "--vendor", "uneeq", "--probability", "inf"], 2, "give a finite number"),
        (["mint", "uneeq", "--custom-data", DEEP], 2, "--custom-data is not JSON"),
        (["token", "uneeq", "--custom-data", DEEP], 2, "--custom-data is not JSON"),
        (["mint", "unifize", "--issued-at", "1e400"], 2, "give ISO-8601 or epoch seconds"),
        (["mint", "unifize", "--issued-at", "nan"], 2, "give ISO-8601 or epoch seconds"),
        (["token", "widget", "--origin", "http://x\r\nX: y"], 2, "cannot send this request"),
        (["token", "uneeq", "--workspace", "de\nmo"], 1, "no UneeQ workspace 'de\\nmo'"),
        (["token", "uneeq", "--workspace", "démo", "--secret", "x"], 1, "answered 403"),
        (["token", "8x8", "--api-key", "ключ"], 1, "answered 401"),
        (["fault", "clear", "-5"], 1, "no fault '-5' (HTTP 404)"),
        (["clock", "set", "\x00"], 1, "is not an ISO-8601 instant (HTTP 400)"),
        (["fault", "add", "--vendor", "uneeq", "--status", "500", "--times", "9" * 30], 1, "times"),
    ],
)
def test_hostile_arguments(cli: Cli, url: str, argv: list[str], code: int, message: str) -> None:
    remote = argv[0] != "mint" and "--url" not in argv
    ran = cli(*argv, *(["--url", url] if remote else []))
    assert ran.code == code, ran.err
    assert message in ran.err
    assert "Traceback" not in ran.err
    assert ran.err.splitlines()[-1].startswith("token-emulator")


def test_deep_claim_is_taken_as_text(cli: Cli) -> None:
    ran = cli("mint", "uneeq", "--claim", f"x={DEEP}", "--json")
    assert ran.code == 0, ran.err


@pytest.mark.parametrize("command", ["mint", "token"])
def test_keys_that_cannot_sign(cli: Cli, url: str, tmp_path: Path, command: str) -> None:
    ec = tmp_path / "ec.pem"
    ec.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    binary = tmp_path / "binary.pem"
    binary.write_bytes(bytes(range(128, 256)))
    for key, message in ((ec, "not an RSA private key PEM"), (binary, "can't decode")):
        ran = cli(
            command, "unifize", "--key", str(key), *(["--url", url] if command == "token" else [])
        )
        assert ran.code == 2
        assert message in ran.err and "Traceback" not in ran.err
