"""Pieces for hand-built JWS in tests: the forgeries joserfc (rightly) will not produce."""

from __future__ import annotations

import base64
import json
from typing import Any


def b64(data: bytes) -> str:
    """base64url without padding, as JWS segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode_json(segment: str) -> dict[str, Any]:
    """A JWS segment's JSON object, to read what a token carries."""
    value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    assert isinstance(value, dict)
    return value
