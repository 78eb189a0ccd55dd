"""`token-emulator mint`: the client-side JWTs, no server needed; the emulator accepts them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from joserfc.jwk import RSAKey

from tests.cli.conftest import Cli
from tests.conftest import FIXTURES
from token_emulator.core.tokens import verify_hmac, verify_rsa
from token_emulator.vendors.uneeq.client import uneeq_secret

PUBLIC_PEM = (FIXTURES / "unifize-demo-app.public.pem").read_text()


def test_mint_uneeq_signs_with_the_fixture_secret(cli: Cli) -> None:
    ran = cli(
        "mint", "uneeq", "--workspace", "demo-eu", "--sid", "s-9", "--custom-data", '{"a": 1}'
    )
    assert ran.code == 0, ran.err
    token = ran.out.strip()
    claims = verify_hmac(token, uneeq_secret("demo-eu")).claims
    assert claims == {"sid": "s-9", "fm-workspace": "demo-eu", "fm-custom-data": '{"a": 1}'}


def test_mint_uneeq_json_and_extra_claims(cli: Cli) -> None:
    ran = cli(
        "mint", "uneeq", "--secret", "s3cret", "--claim", "exp=12", "--claim", "note=hi", "--json"
    )
    assert ran.code == 0, ran.err
    shown = json.loads(ran.out)
    assert shown["header"] == {"typ": "JWT", "alg": "HS256"}
    assert shown["claims"] == {"sid": "", "fm-workspace": "demo", "exp": 12, "note": "hi"}
    assert verify_hmac(shown["jwt"], "s3cret").claims == shown["claims"]


def test_minted_uneeq_jwt_is_accepted(cli: Cli, url: str) -> None:
    token = cli("mint", "uneeq").out.strip()
    answer = httpx.post(
        f"{url}/uneeq/api/v1/clients/access/tokens",
        content=token,
        headers={"workspace": "demo", "content-type": "application/jwt"},
    )
    assert answer.status_code == 200
    assert set(answer.json()) == {"token"}


def test_mint_unifize_with_the_demo_key(cli: Cli, url: str) -> None:
    before = int(time.time())
    ran = cli("mint", "unifize", "--lifetime", "60")
    assert ran.code == 0, ran.err
    assertion = ran.out.strip()
    claims = verify_rsa(assertion, [PUBLIC_PEM]).claims
    assert claims["iss"] == "101"
    assert claims["iat"] >= before and claims["exp"] - claims["iat"] == 60
    answer = httpx.post(
        f"{url}/unifize/application/token", headers={"authorization": f"Bearer {assertion}"}
    )
    assert answer.status_code == 200


def test_mint_unifize_issued_at_and_key_file(cli: Cli, tmp_path: Path) -> None:
    key = RSAKey.generate_key(2048)
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(key.as_pem(private=True))
    ran = cli(
        "mint", "unifize", "--app", "103", "--key", str(key_file),
        "--issued-at", "2030-01-01T00:00:00Z", "--json",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    shown = json.loads(ran.out)
    assert shown["header"]["alg"] == "RS256"
    assert shown["claims"] == {"iss": "103", "iat": 1893456000, "exp": 1893456600}
    public = key.as_pem(private=False).decode()
    assert verify_rsa(shown["jwt"], [public]).claims == shown["claims"]
    epoch = cli("mint", "unifize", "--issued-at", "1893456000", "--json")
    assert json.loads(epoch.out)["claims"]["iat"] == 1893456000


def test_mint_usage_errors(cli: Cli, tmp_path: Path) -> None:
    not_json = cli("mint", "uneeq", "--custom-data", "{oops")
    assert not_json.code == 2 and "--custom-data is not JSON" in not_json.err
    claim = cli("mint", "uneeq", "--claim", "novalue")
    assert claim.code == 2 and "--claim 'novalue': write NAME=VALUE" in claim.err
    reserved = cli("mint", "unifize", "--claim", "lifetime=5")
    assert (
        reserved.code == 2 and "--claim lifetime: not a claim this command can set" in reserved.err
    )
    missing = cli("mint", "unifize", "--key", str(tmp_path / "absent.pem"))
    assert missing.code == 2 and "absent.pem" in missing.err
    (tmp_path / "junk.pem").write_text("not a key")
    junk = cli("mint", "unifize", "--key", str(tmp_path / "junk.pem"))
    assert junk.code == 2 and "not an RSA private key PEM" in junk.err
    instant = cli("mint", "unifize", "--issued-at", "yesterday")
    assert instant.code == 2 and "give ISO-8601 or epoch seconds" in instant.err


def test_mint_unknown_workspace_names_the_fixture_file(cli: Cli) -> None:
    ran = cli("mint", "uneeq", "--workspace", "nope")
    assert ran.code == 1
    assert ran.out == ""
    assert ran.err.startswith("token-emulator: no UneeQ workspace 'nope' in ")
    assert ran.err.rstrip().endswith("uneeq.toml; pass its secret")
    assert "Traceback" not in ran.err
