"""Pieces for hand-built JWS in tests: the forgeries joserfc (rightly) will not produce."""

from __future__ import annotations

import base64


def b64(data: bytes) -> str:
    """base64url without padding, as JWS segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
