"""Kataven widget: client keys with Origin allowlists, visitor tokens, session JWTs."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.widget import backend, models, openapi, routes
from token_emulator.vendors.widget.errors import render_error

VENDOR = Vendor(
    id="widget",
    title="Widget (Kataven)",
    fixture_file="widget.toml",
    fixture_model=models.WidgetFixtures,
    tables=models.TABLES,
    mounts=routes.mounts,
    seed=backend.seed,
    state=backend.state,
    credentials=backend.credentials,
    render_error=render_error,
    add_fixtures=backend.add_fixtures,
    openapi=openapi.describe,
)
