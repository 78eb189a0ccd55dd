"""The five vendors. Each package exposes `VENDOR`, a `core.vendor.Vendor`."""

from __future__ import annotations

from emulator.core.vendor import Vendor


def all_vendors() -> tuple[Vendor, ...]:
    from emulator.vendors.eightbyeight import VENDOR as EIGHT_BY_EIGHT
    from emulator.vendors.uneeq import VENDOR as UNEEQ
    from emulator.vendors.unifize import VENDOR as UNIFIZE
    from emulator.vendors.web1on1 import VENDOR as WEB1ON1
    from emulator.vendors.widget import VENDOR as WIDGET

    return (UNEEQ, UNIFIZE, EIGHT_BY_EIGHT, WEB1ON1, WIDGET)
