"""The server side of a vendor, as its package's server.py declares it to the core.

Its client side (id, fixture file, flows) is a `VendorClient` (core/vendor_client.py),
which the server side holds: the id and the fixture file are written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from starlette.routing import BaseRoute

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.errors import ErrorRenderer
from token_emulator.core.fixtures import FixtureModel
from token_emulator.core.openapi import ApiDescription, Prefix, Schema
from token_emulator.core.storage import Connection, Store
from token_emulator.core.storage.schema import Migrations
from token_emulator.core.vendor_client import VendorClient

Seeder = Callable[[Connection, Store, Any], Awaitable[None]]
# Reads the vendor's tables at an instant of the emulator clock (for statuses such as expired).
StateReader = Callable[[Connection, float], Awaitable[dict[str, Any]]]
# The test-only credentials a tester needs, read from the vendor's fixtures (its own
# FixtureModel subclass, hence Any as for Seeder): [{"label", "value", "note"?}].
CredentialsLister = Callable[[Any], list[dict[str, str]]]


@dataclass(frozen=True)
class NamedRoute:
    """A vendor route as faults and `GET /_emulator/routes` name it."""

    name: str
    methods: tuple[str, ...]
    path: str  # under the vendor's own prefix, /<id>
    # Every path it is served at: `path` first, then under each other mount point (UneeQ's
    # regions) and each other path the route has (a trailing slash).
    paths: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.name.split(":", 1)[1]


@dataclass(frozen=True)
class MountPoint:
    """A prefix the vendor's routes are served under, and what its handlers learn from
    it, put into the request's scope (UneeQ's region: `/uneeq/eu` says "eu")."""

    path: str
    scope: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BrowserCors:
    """Permissive CORS, for a vendor whose clients run in browsers: any origin, and
    these answer headers readable by the page (request_path/cors.py)."""

    expose: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vendor:
    client: VendorClient
    tables: tuple[Table, ...]  # parents first; all of them are emptied by a reset
    # Every route, declared once (routes.py): Starlette's route and the OpenAPI operations.
    endpoints: tuple[Endpoint, ...]
    prefixes: tuple[Prefix, ...]  # where they are served, as the OpenAPI document names it
    seed: Seeder  # writes the fixture rows: all of them, or those edited since (a restart)
    state: StateReader  # what `GET /_emulator/state/{id}` shows, secrets masked
    render_error: ErrorRenderer  # status, message, now -> the vendor's own body shape
    # The shapes its operations refer to (schemas.py), and its tag's description.
    schemas: Mapping[str, Schema] = field(default_factory=dict)
    responses: Mapping[str, Any] = field(default_factory=dict)
    security_schemes: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    # Vendor-specific control calls, mounted at /_emulator/<id>/ (say, revoking an API key).
    control_endpoints: tuple[Endpoint, ...] = ()
    # Writes fixtures added at run time (POST /_emulator/fixtures); `seed` when None.
    add_fixtures: Seeder | None = None
    # What the dashboard lists under the vendor; published fixtures, so shown unmasked.
    credentials: CredentialsLister = field(default=lambda _fixtures: [])
    # Steps that bring its tables from an older schema version (core/storage/schema.py).
    migrations: Migrations = field(default_factory=Migrations)
    # Where the endpoints are served (none: at /<id>), longest first where one is
    # inside another; and CORS, for clients in browsers (None: servers call it).
    mount_points: tuple[MountPoint, ...] = ()
    cors: BrowserCors | None = None

    @property
    def id(self) -> str:
        """Also its URL prefix and its name in the journal, logs and CLI."""
        return self.client.id

    @property
    def title(self) -> str:
        return self.client.title

    @property
    def fixture_file(self) -> str:
        return self.client.fixture_file

    @property
    def fixture_model(self) -> type[FixtureModel]:
        return self.client.fixture_model

    @property
    def served_at(self) -> tuple[MountPoint, ...]:
        return self.mount_points or (MountPoint(f"/{self.id}"),)

    def control_routes(self) -> list[BaseRoute]:
        return [endpoint.route() for endpoint in self.control_endpoints]

    def routes(self) -> list[NamedRoute]:
        """Every named route once (UneeQ serves one route under five prefixes and two
        paths): the valid targets of a fault."""
        methods: dict[str, tuple[str, ...]] = {}
        paths: dict[str, list[str]] = {}
        prefixes = [f"/{self.id}"]
        prefixes += [mount.path for mount in self.served_at if mount.path not in prefixes]
        for endpoint in self.endpoints:
            methods.setdefault(endpoint.name, tuple(sorted(endpoint.methods)))
            paths.setdefault(endpoint.name, []).append(endpoint.path)
        return [
            NamedRoute(
                name,
                methods[name],
                f"/{self.id}{own[0]}",
                tuple(prefix + path for prefix in prefixes for path in own),
            )
            for name, own in paths.items()
        ]

    def openapi(self) -> ApiDescription:
        """Its part of `GET /_emulator/openapi.json`."""
        return ApiDescription(
            prefixes=self.prefixes,
            operations=tuple(op for endpoint in self.endpoints for op in endpoint.operations),
            schemas=self.schemas,
            responses=self.responses,
            security_schemes=self.security_schemes,
            control_operations=tuple(
                op for endpoint in self.control_endpoints for op in endpoint.operations
            ),
            description=self.description,
        )


def credential(label: str, value: str, note: str | None = None) -> dict[str, str]:
    """One entry of a vendor's credentials list."""
    return {"label": label, "value": value} | ({"note": note} if note else {})


def mask_secret(secret: str) -> str:
    """Enough of a secret to recognise it, not enough to use it."""
    return f"{secret[:4]}…({len(secret)} chars)" if len(secret) > 4 else "…"
