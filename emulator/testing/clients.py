"""Build what each vendor's client must send."""

from __future__ import annotations

import json
from typing import Any

from emulator.core.tokens import sign_hmac


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
