"""Build what each vendor's client must send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from token_emulator.core.clock import real_time
from token_emulator.core.tokens import sign_hmac, sign_rsa
from token_emulator.settings import default_fixtures_dir
from token_emulator.vendors.unifize.backend import DEMO_PRIVATE_KEY_FILE

UNIFIZE_DEMO_APP = 101
UNIFIZE_DEMO_KEY_FILE = DEMO_PRIVATE_KEY_FILE


def uneeq_request_jwt(
    secret: str,
    workspace: str,
    *,
    sid: str = "",
    custom_data: Any = None,
    **claims: Any,
) -> str:
    """The HS256 JWT a customer's server sends to UneeQ's token endpoint.

    `custom_data` is stringified as UneeQ requires; extra `claims` go in as given.
    """
    payload: dict[str, Any] = {"sid": sid, "fm-workspace": workspace}
    if custom_data is not None:
        payload["fm-custom-data"] = json.dumps(custom_data)
    payload.update(claims)
    return sign_hmac(payload, secret)


def unifize_demo_private_key(fixtures_dir: Path | None = None) -> str:
    """The test-only private key of the default fixtures' Unifize app 101."""
    return ((fixtures_dir or default_fixtures_dir()) / UNIFIZE_DEMO_KEY_FILE).read_text()


def unifize_assertion(
    app_id: int | str = UNIFIZE_DEMO_APP,
    private_key_pem: str | None = None,
    *,
    issued_at: float | None = None,
    lifetime: int = 600,
    **claims: Any,
) -> str:
    """The RS256 client assertion of unifize.txt: iss = app id, exp = iat + 600.

    `issued_at` defaults to real time; pass the emulator's time after moving its clock.
    """
    iat = int(real_time() if issued_at is None else issued_at)
    payload: dict[str, Any] = {"iss": str(app_id), "iat": iat, "exp": iat + lifetime}
    payload.update(claims)
    return sign_rsa(payload, private_key_pem or unifize_demo_private_key())
