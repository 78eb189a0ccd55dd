"""Unifize: an RS256 client assertion buys an access token that opens protected calls."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.unifize import backend, models, openapi, routes
from token_emulator.vendors.unifize.errors import render_error

VENDOR = Vendor(
    id="unifize",
    title="Unifize",
    fixture_file="unifize.toml",
    fixture_model=models.UnifizeFixtures,
    tables=models.TABLES,
    mounts=routes.mounts,
    seed=backend.seed,
    state=backend.state,
    credentials=backend.credentials,
    render_error=render_error,
    openapi=openapi.describe,
)
