"""The five vendors. Each package exposes `VENDOR`, a `core.vendor.Vendor`."""

from __future__ import annotations

from token_emulator.core.vendor import Vendor


def all_vendors() -> tuple[Vendor, ...]:
    from token_emulator.vendors.eightbyeight import VENDOR as EIGHT_BY_EIGHT
    from token_emulator.vendors.uneeq import VENDOR as UNEEQ
    from token_emulator.vendors.unifize import VENDOR as UNIFIZE
    from token_emulator.vendors.web1on1 import VENDOR as WEB1ON1
    from token_emulator.vendors.widget import VENDOR as WIDGET

    return (UNEEQ, UNIFIZE, EIGHT_BY_EIGHT, WEB1ON1, WIDGET)
