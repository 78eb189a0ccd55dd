"""Test-only credentials read from a fixture directory, for the flow helpers' defaults.

Read through the package's own fixture loading (the same validation `serve`
runs), so a default here is always one the emulator accepts on the same
fixtures; nothing is hard-coded that a fixture file holds.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from token_emulator.core.fixtures import FixtureModel, load_file
from token_emulator.settings import default_fixtures_dir
from token_emulator.vendors.unifize.backend import DEMO_PRIVATE_KEY_FILE

FixturesDir = str | Path | None


class MissingCredential(LookupError):
    """The fixture directory holds no credential that fits; the message says what to pass."""


def fixtures_directory(fixtures: FixturesDir = None) -> Path:
    return Path(fixtures) if fixtures is not None else default_fixtures_dir()


def vendor_fixtures(vendor_id: str, fixtures: FixturesDir = None) -> Any:
    """One vendor's fixture file, validated (FixtureError if it is not valid)."""
    from token_emulator.vendors import all_vendors

    for vendor in all_vendors():
        if vendor.id == vendor_id:
            directory = fixtures_directory(fixtures)
            loaded: FixtureModel = load_file(vendor.fixture_model, directory / vendor.fixture_file)
            return loaded
    raise ValueError(f"unknown vendor {vendor_id!r}")


def uneeq_secret(workspace: str = "demo", fixtures: FixturesDir = None) -> str:
    """The shared secret of an UneeQ workspace in the fixtures."""
    for entry in vendor_fixtures("uneeq", fixtures).workspaces:
        if entry.id == workspace:
            secret: str = entry.secret
            return secret
    raise MissingCredential(
        f"no UneeQ workspace {workspace!r} in {fixtures_directory(fixtures)}/uneeq.toml; "
        "pass its secret"
    )


def unifize_private_key(app_id: int | str = 101, fixtures: FixturesDir = None) -> str:
    """A test-only private key for a Unifize app.

    A key file `X.TEST-ONLY.private.pem` beside one of the app's
    `public_key_files` `X.public.pem` wins; otherwise the demo key (which the
    default fixtures register for apps 101 and 102).
    """
    directory = fixtures_directory(fixtures)
    vendor_fixtures("unifize", fixtures)  # valid, or FixtureError naming the problem
    # The validated model holds the keys' contents; the file names are in the TOML.
    path = directory / "unifize.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for app in raw.get("apps", []):
        if str(app.get("id")) != str(app_id):
            continue
        for public in app.get("public_key_files", []):
            if public.endswith(".public.pem"):
                private = directory / f"{public.removesuffix('.public.pem')}.TEST-ONLY.private.pem"
                if private.is_file():
                    return private.read_text()
    demo = directory / DEMO_PRIVATE_KEY_FILE
    if demo.is_file():
        return demo.read_text()
    raise MissingCredential(
        f"no test-only private key for Unifize app {app_id} in {directory}; pass the key"
    )


def eightbyeight_api_key(fixtures: FixturesDir = None) -> str:
    """The first 8x8 API key of the fixtures."""
    keys = vendor_fixtures("8x8", fixtures).api_keys
    if not keys:
        raise MissingCredential(
            f"no 8x8 API key in {fixtures_directory(fixtures)}/eightbyeight.toml; pass api_key"
        )
    key: str = keys[0].key
    return key


def web1on1_login_of(email: str | None = None, fixtures: FixturesDir = None) -> tuple[str, str]:
    """(email, password) of a web1on1 user: the one named, else the first admin."""
    users = vendor_fixtures("web1on1", fixtures).users
    for user in users:
        if (user.email.casefold() == email.casefold()) if email else user.role == "admin":
            return user.email, user.password
    wanted = f"user {email!r}" if email else "admin user"
    raise MissingCredential(
        f"no web1on1 {wanted} in {fixtures_directory(fixtures)}/web1on1.toml; "
        "pass email and password"
    )


def widget_client_key(fixtures: FixturesDir = None) -> str:
    """The first widget client key of the fixtures."""
    keys = vendor_fixtures("widget", fixtures).client_keys
    if not keys:
        raise MissingCredential(
            f"no widget client key in {fixtures_directory(fixtures)}/widget.toml; pass client_key"
        )
    key: str = keys[0].key
    return key


def widget_secret_key(client_key: str, fixtures: FixturesDir = None) -> str:
    """A secret key of the account that owns `client_key`."""
    loaded = vendor_fixtures("widget", fixtures)
    accounts = [entry.account for entry in loaded.client_keys if entry.key == client_key]
    for secret in loaded.secret_keys:
        if secret.account in accounts:
            key: str = secret.key
            return key
    raise MissingCredential(
        f"no widget secret key for client key {client_key[:16]!r}... in "
        f"{fixtures_directory(fixtures)}/widget.toml; pass secret_key"
    )
