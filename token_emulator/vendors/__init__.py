"""The one registry of vendors: the only place that lists them.

Each is a package beside this file, with the same files: `client.py` (CLIENT,
what a client of the vendor sends; light, no server code) and `server.py`
(VENDOR, what the emulator serves: routes, handlers, backend, tables, errors).
Adding a vendor is one package and one line here (docs/adding-a-vendor.md).

A project may serve vendors of its own beside these, without forking: the
environment variable EMULATOR_VENDOR_PACKAGES names their packages (importable,
comma-separated), each with the same two modules.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from token_emulator.core.vendor import Vendor
    from token_emulator.core.vendor_client import VendorClient

PACKAGES = ("uneeq", "unifize", "eightbyeight", "web1on1", "widget")
EXTRA_PACKAGES_ENV = "EMULATOR_VENDOR_PACKAGES"


class VendorPackageError(ImportError):
    """A package EMULATOR_VENDOR_PACKAGES names cannot be served; the message says why."""


def package_names() -> tuple[str, ...]:
    """Every vendor package's full name, in order: this project's, then the extra ones."""
    extra = os.environ.get(EXTRA_PACKAGES_ENV, "")
    return (
        *(f"{__name__}.{package}" for package in PACKAGES),
        *(name.strip() for name in extra.split(",") if name.strip()),
    )


def _load(package: str, module: str, name: str) -> Any:
    try:
        return getattr(import_module(f"{package}.{module}"), name)
    except (ImportError, AttributeError) as error:
        raise VendorPackageError(
            f"vendor package {package!r} ({EXTRA_PACKAGES_ENV}) has no {module}.{name}: {error}"
        ) from error


def _unique(found: tuple[VendorClient, ...]) -> None:
    seen: dict[str, int] = {}
    for index, client in enumerate(found):
        if client.id in seen:
            first, second = package_names()[seen[client.id]], package_names()[index]
            raise VendorPackageError(f"vendor id {client.id!r} is taken twice: {first}, {second}")
        seen[client.id] = index


def all_clients() -> tuple[VendorClient, ...]:
    """Every vendor's client side, in order (imports no server code)."""
    found: tuple[VendorClient, ...] = tuple(
        _load(package, "client", "CLIENT") for package in package_names()
    )
    _unique(found)
    return found


def all_vendors() -> tuple[Vendor, ...]:
    """Every vendor's server side, in order."""
    all_clients()  # the ids checked
    return tuple(_load(package, "server", "VENDOR") for package in package_names())


def package_of(vendor_id: str) -> str:
    """The full name of the package that holds the vendor."""
    for package, client in zip(package_names(), all_clients(), strict=True):
        if client.id == vendor_id:
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
