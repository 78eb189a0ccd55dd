"""8x8 Video Interaction: an API key buys auth tokens and 15-minute rooms; agents log
in through the iframe URL, guests follow the guest link, reporting reads call logs."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.eightbyeight import backend, models, openapi, routes
from token_emulator.vendors.eightbyeight.errors import render_error

VENDOR = Vendor(
    id="8x8",
    title="8x8 Video Interaction",
    fixture_file="eightbyeight.toml",
    fixture_model=models.EightByEightFixtures,
    tables=models.TABLES,
    mounts=routes.mounts,
    seed=backend.seed,
    state=backend.state,
    credentials=backend.credentials,
    render_error=render_error,
    add_fixtures=backend.add_fixtures,
    openapi=openapi.describe,
)
