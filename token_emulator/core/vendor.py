"""What a vendor package hands the core: its id, fixtures, tables, routes and error shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from starlette.routing import BaseRoute

from token_emulator.core.errors import ErrorRenderer
from token_emulator.core.fixtures import FixtureModel
from token_emulator.core.openapi import ApiDescription
from token_emulator.core.schema import Migrations
from token_emulator.core.store import Connection, Store

Seeder = Callable[[Connection, Store, Any], Awaitable[None]]
# Reads the vendor's tables at an instant of the emulator clock (for statuses such as expired).
StateReader = Callable[[Connection, float], Awaitable[dict[str, Any]]]
# The test-only credentials a tester needs, read from the vendor's fixtures (its own
# FixtureModel subclass, hence Any as for Seeder): [{"label", "value", "note"?}].
CredentialsLister = Callable[[Any], list[dict[str, str]]]


@dataclass(frozen=True)
class Vendor:
    id: str  # also its URL prefix and its name in the journal, logs and CLI
    title: str
    fixture_file: str
    fixture_model: type[FixtureModel]
    tables: tuple[Table, ...]  # parents first; all of them are emptied by a reset
    mounts: Callable[[], list[BaseRoute]]
    seed: Seeder  # writes the fixture rows; at start it merges, after a reset it fills
    state: StateReader  # what `GET /_emulator/state/{id}` shows, secrets masked
    render_error: ErrorRenderer  # status, message, now -> the vendor's own body shape
    # Vendor-specific control calls, mounted at /_emulator/<id>/ (say, revoking an API key).
    control_routes: Callable[[], list[BaseRoute]] = field(default=lambda: [])
    # Writes fixtures added at run time (POST /_emulator/fixtures); `seed` when None.
    add_fixtures: Seeder | None = None
    # What the dashboard lists under the vendor; published fixtures, so shown unmasked.
    credentials: CredentialsLister = field(default=lambda _fixtures: [])
    # Its routes (and control routes) as `GET /_emulator/openapi.json` describes them.
    openapi: Callable[[], ApiDescription] | None = None
    # Steps that bring its tables from an older schema version (core/schema.py).
    migrations: Migrations = field(default_factory=Migrations)


def credential(label: str, value: str, note: str | None = None) -> dict[str, str]:
    """One entry of a vendor's credentials list."""
    return {"label": label, "value": value} | ({"note": note} if note else {})


def mask_secret(secret: str) -> str:
    """Enough of a secret to recognise it, not enough to use it."""
    return f"{secret[:4]}…({len(secret)} chars)" if len(secret) > 4 else "…"
