"""What a client of Unifize sends: an RS256 client assertion (iss = the app id, at most
ten minutes), signed with the app's private key, for an access token."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from token_emulator.client import emulator_now
from token_emulator.core.calls import Call, Flow, Steps, json_answer, log
from token_emulator.core.instants import parse_instant, real_time
from token_emulator.core.tokens import sign_rsa
from token_emulator.core.vendor_client import (
    FixturesDir,
    Mint,
    MissingCredential,
    Option,
    VendorClient,
    fixtures_directory,
)
from token_emulator.vendors.unifize.models import UnifizeFixtures

DEMO_APP = 101
# The test-only private key of the default fixtures' app 101 (and 102), beside them.
DEMO_PRIVATE_KEY_FILE = "unifize-demo-app.TEST-ONLY.private.pem"
TOKEN_PATH = "/application/token"
INSTALLATION_TOKEN_PATH = "/application/installation/{org_id}/token"


def unifize_demo_private_key(fixtures_dir: Path | None = None) -> str:
    """The test-only private key of the default fixtures' Unifize app 101."""
    return (fixtures_directory(fixtures_dir) / DEMO_PRIVATE_KEY_FILE).read_text()


def unifize_assertion(
    app_id: int | str = DEMO_APP,
    private_key_pem: str | None = None,
    *,
    issued_at: float | None = None,
    lifetime: int = 600,
    **claims: Any,
) -> str:
    """The RS256 client assertion of docs/vendors/unifize.md: iss = app id, exp = iat + 600.

    `issued_at` defaults to real time; pass the emulator's time after moving its clock.
    """
    iat = int(real_time() if issued_at is None else issued_at)
    payload: dict[str, Any] = {"iss": str(app_id), "iat": iat, "exp": iat + lifetime}
    payload.update(claims)
    return sign_rsa(payload, private_key_pem or unifize_demo_private_key())


def unifize_private_key(app_id: int | str = DEMO_APP, fixtures: FixturesDir = None) -> str:
    """A test-only private key for a Unifize app.

    A key file `X.TEST-ONLY.private.pem` beside one of the app's
    `public_key_files` `X.public.pem` wins; otherwise the demo key (which the
    default fixtures register for apps 101 and 102).
    """
    directory = fixtures_directory(fixtures)
    CLIENT.fixtures(fixtures)  # valid, or FixtureError naming the problem
    # The validated model holds the keys' contents; the file names are in the TOML.
    path = directory / CLIENT.fixture_file
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


def _pem(key: str | Path | None) -> str | None:
    if isinstance(key, Path):
        return key.read_text()
    return key


def token_call(
    app_id: int | str = DEMO_APP,
    key: str | Path | None = None,
    org_id: int | None = None,
    *,
    lifetime: int = 600,
    issued_at: float | None = None,
    fixtures: FixturesDir = None,
) -> Call:
    """The exchange of an assertion signed at `issued_at` (default: real time)."""
    pem = _pem(key) or unifize_private_key(app_id, fixtures)
    assertion = unifize_assertion(app_id, pem, issued_at=issued_at, lifetime=lifetime)
    log.info("unifize: signed the assertion for app %s (RS256, %s s)", app_id, lifetime)
    path = TOKEN_PATH if org_id is None else INSTALLATION_TOKEN_PATH.format(org_id=org_id)
    return Call(
        "unifize: exchange the assertion for an access token",
        "POST",
        "/unifize" + path,
        headers={"authorization": f"Bearer {assertion}"},
    )


def answer(
    app_id: int | str = DEMO_APP,
    key: str | Path | None = None,
    org_id: int | None = None,
    *,
    lifetime: int = 600,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """Unifize: sign the assertion at the emulator's now, exchange it; `{"accessToken", ...}`."""
    pem = _pem(key) or unifize_private_key(app_id, fixtures)
    now = yield from emulator_now("unifize")
    call = token_call(app_id, pem, org_id, lifetime=lifetime, issued_at=now, fixtures=fixtures)
    response = yield call
    return json_answer(call, response, "accessToken")


@Flow
def unifize_access_token(
    app_id: int | str = DEMO_APP,
    key: str | Path | None = None,
    org_id: int | None = None,
    *,
    lifetime: int = 600,
    fixtures: FixturesDir = None,
) -> Steps[str]:
    """`unifize_access_token(client, app_id=101)`: a Unifize access token (str).

    `key` is the private key (PEM text, or a Path to a PEM file), by default
    the fixtures' test-only key; `org_id` uses the installation path. The
    assertion's `iat` is the emulator clock's now.
    """
    found = yield from answer(app_id, key, org_id, lifetime=lifetime, fixtures=fixtures)
    return str(found["accessToken"])


def read_key_file(given: str) -> str:
    """`--key`: the PEM text of a file, once it has signed a test assertion."""
    path = Path(given)
    try:
        pem = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    try:
        unifize_assertion(0, pem)
    except Exception as error:  # whatever the JOSE library says, this key cannot sign RS256
        raise ValueError(f"{path}: not an RSA private key PEM ({error})") from None
    return pem


def _instant(given: str) -> float:
    """`--issued-at`: ISO-8601 or epoch seconds."""
    try:
        instant = float(given)
    except ValueError:
        try:
            instant = parse_instant(given)
        except (ValueError, OverflowError):
            raise ValueError(f"{given!r}: give ISO-8601 or epoch seconds") from None
    if not math.isfinite(instant):
        raise ValueError(f"{given!r}: give ISO-8601 or epoch seconds")
    return instant


def _mint(
    claims: dict[str, Any],
    *,
    app_id: str = str(DEMO_APP),
    key: str | None = None,
    lifetime: int = 600,
    issued_at: float | None = None,
    fixtures: FixturesDir = None,
) -> str:
    pem = key if key is not None else unifize_private_key(app_id, fixtures)
    return unifize_assertion(app_id, pem, issued_at=issued_at, lifetime=lifetime, **claims)


CLIENT = VendorClient(
    id="unifize",
    title="Unifize",
    fixture_file="unifize.toml",
    fixture_model=UnifizeFixtures,
    answer=answer,
    token_field="accessToken",
    summary="assertion -> access token",
    options=(
        Option("--app", "the app id (default 101)", default=str(DEMO_APP), keyword="app_id"),
        Option(
            "--key", "private key PEM file (default: the fixtures' test key)", parse=read_key_file
        ),
        Option(
            "--org",
            "an org the app is installed in (installation path)",
            type=int,
            keyword="org_id",
        ),
        Option("--lifetime", "assertion lifetime (600)", default=600, type=int),
    ),
    token_call=token_call,
    mint=Mint(
        "the RS256 client assertion of a Unifize app",
        (
            Option(
                "--app",
                "the app id, the iss claim (default 101)",
                default=str(DEMO_APP),
                keyword="app_id",
            ),
            Option(
                "--key",
                "private key PEM file (default: the fixtures' test-only key)",
                parse=read_key_file,
            ),
            Option("--lifetime", "exp - iat in seconds (default 600)", default=600, type=int),
            Option(
                "--issued-at",
                "iat as ISO-8601 or epoch seconds (default now; after moving the emulator "
                "clock, give its time, or use `token unifize`, which reads it)",
                parse=_instant,
            ),
        ),
        _mint,
        reserved=("app_id", "private_key_pem", "issued_at", "lifetime"),
    ),
    helpers={
        "unifize_access_token": unifize_access_token,
        "unifize_assertion": unifize_assertion,
        "unifize_demo_private_key": unifize_demo_private_key,
        "unifize_private_key": unifize_private_key,
    },
)
