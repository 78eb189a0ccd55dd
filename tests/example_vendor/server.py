"""The example vendor's server side, as the core takes it."""

from tests.example_vendor import backend, routes, schemas, tables
from tests.example_vendor.client import CLIENT
from tests.example_vendor.errors import render_error
from token_emulator.core.vendor import Vendor

VENDOR = Vendor(
    client=CLIENT,
    tables=tables.TABLES,
    endpoints=routes.ENDPOINTS,
    prefixes=routes.PREFIXES,
    seed=backend.seed,
    state=backend.state,
    render_error=render_error,
    schemas=schemas.SCHEMAS,
    responses=schemas.RESPONSES,
    security_schemes=schemas.SECURITY_SCHEMES,
    description=schemas.DESCRIPTION,
    credentials=backend.credentials,
)
