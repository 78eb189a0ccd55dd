from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.conftest import FIXTURES, in_process, make_settings

TOKEN_PATH = "/unifize/application/token"
NOW = 1_900_000_000  # the instant tests freeze the emulator clock at
NOW_ISO = "2030-03-17T17:46:40Z"

# A POST route that reads its body, with what it checks first (the cross-vendor limits).
BODY_ROUTE = ("/unifize/application/tokeninfo", {})


@pytest.fixture(scope="session")
def other_key() -> RSAKey:
    """A key pair made for the test run, registered for app 103 only."""
    return RSAKey.generate_key(2048)


def fixture_dir_with(tmp_path: Path, extra_unifize_toml: str) -> Path:
    """The default fixtures plus some Unifize entries, in a directory of the test's own."""
    directory = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, directory)
    with (directory / "unifize.toml").open("a") as toml:
        toml.write("\n" + extra_unifize_toml)
    return directory


def app_toml(app_id: int, *public_pems: str, permissions: str = '["chatroom:read"]') -> str:
    keys = ", ".join(f"'''{pem}'''" for pem in public_pems)
    return (
        f'[[apps]]\nid = {app_id}\norg_id = 1\nbot_uid = "bot-{app_id}"\n'
        f"public_keys = [{keys}]\npermissions = {permissions}\n"
    )


@pytest.fixture
async def client(
    tmp_path: Path, database: str, other_key: RSAKey
) -> AsyncIterator[httpx.AsyncClient]:
    """The default fixtures plus app 103 with `other_key`, clock frozen at NOW."""
    directory = fixture_dir_with(tmp_path, app_toml(103, other_key.as_pem().decode()))
    settings = make_settings(tmp_path, database=database, fixtures_dir=directory)
    async for c in in_process(settings):
        await c.post("/_emulator/clock", json={"freeze": True})
        await c.post("/_emulator/clock", json={"set": NOW_ISO})
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def access_token(client: httpx.AsyncClient, assertion: str, path: str = TOKEN_PATH) -> str:
    response = await client.post(path, headers=bearer(assertion))
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["accessToken"]
    return token
