"""UneeQ's server side, as the core takes it: tables, routes, rules, error shape."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.uneeq import backend, routes, schemas, tables
from token_emulator.vendors.uneeq.client import CLIENT
from token_emulator.vendors.uneeq.errors import render_error

VENDOR = Vendor(
    client=CLIENT,
    tables=tables.TABLES,
    endpoints=routes.ENDPOINTS,
    prefixes=routes.PREFIXES,
    cors=routes.CORS,
    mount_points=routes.MOUNT_POINTS,
    seed=backend.seed,
    state=backend.state,
    render_error=render_error,
    schemas=schemas.SCHEMAS,
    responses=schemas.RESPONSES,
    description=schemas.DESCRIPTION,
    credentials=backend.credentials,
)
