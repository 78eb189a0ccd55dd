"""UneeQ: an HS256 request JWT buys a single-use token that the browser SDK redeems."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.uneeq import backend, models, openapi, routes
from token_emulator.vendors.uneeq.errors import render_error

VENDOR = Vendor(
    id="uneeq",
    title="UneeQ",
    fixture_file="uneeq.toml",
    fixture_model=models.UneeqFixtures,
    tables=models.TABLES,
    mounts=routes.mounts,
    seed=backend.seed,
    state=backend.state,
    credentials=backend.credentials,
    render_error=render_error,
    openapi=openapi.describe,
)
