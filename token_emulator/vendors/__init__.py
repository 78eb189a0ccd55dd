"""The one registry of vendors: the only place that lists them.

Each is a package beside this file, with the same files: `client.py` (CLIENT,
what a client of the vendor sends; light, no server code) and `server.py`
(VENDOR, what the emulator serves: routes, handlers, backend, tables, errors).
Adding a vendor is one package and one line here.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from token_emulator.core.vendor import Vendor
    from token_emulator.core.vendor_client import VendorClient

PACKAGES = ("uneeq", "unifize", "eightbyeight", "web1on1", "widget")


def all_clients() -> tuple[VendorClient, ...]:
    """Every vendor's client side, in order (imports no server code)."""
    return tuple(import_module(f"{__name__}.{package}.client").CLIENT for package in PACKAGES)


def all_vendors() -> tuple[Vendor, ...]:
    """Every vendor's server side, in order."""
    return tuple(import_module(f"{__name__}.{package}.server").VENDOR for package in PACKAGES)


def package_of(vendor_id: str) -> str:
    """The name of the package (beside this file) that holds the vendor."""
    for package in PACKAGES:
        if import_module(f"{__name__}.{package}.client").CLIENT.id == vendor_id:
            return package
    raise ValueError(f"unknown vendor {vendor_id!r}")


def client_of(vendor_id: str) -> VendorClient:
    """The client side of the vendor with this id; ValueError naming the known ids."""
    clients = all_clients()
    for client in clients:
        if client.id == vendor_id:
            return client
    known = ", ".join(client.id for client in clients)
    raise ValueError(f"unknown vendor {vendor_id!r}; known: {known}")
