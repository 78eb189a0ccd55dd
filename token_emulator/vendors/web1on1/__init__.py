"""web1on1: password and refresh-token logins, API keys, and resources behind a permission table."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.web1on1 import backend, models, openapi, routes
from token_emulator.vendors.web1on1.errors import render_error

VENDOR = Vendor(
    id="web1on1",
    title="web1on1",
    fixture_file="web1on1.toml",
    fixture_model=models.Web1on1Fixtures,
    tables=models.TABLES,
    mounts=routes.mounts,
    seed=backend.seed,
    state=backend.state,
    credentials=backend.credentials,
    render_error=render_error,
    openapi=openapi.describe,
    control_routes=routes.control_routes,
    add_fixtures=backend.add_fixtures,
    migrations=models.MIGRATIONS,
)
