"""web1on1's server side, as the core takes it: tables, routes, rules, error shape."""

from token_emulator.core.vendor import Vendor
from token_emulator.vendors.web1on1 import backend, routes, schemas, tables
from token_emulator.vendors.web1on1.client import CLIENT
from token_emulator.vendors.web1on1.errors import render_error

VENDOR = Vendor(
    client=CLIENT,
    tables=tables.TABLES,
    endpoints=routes.ENDPOINTS,
    prefixes=routes.PREFIXES,
    cors=routes.CORS,
    seed=backend.seed,
    state=backend.state,
    render_error=render_error,
    schemas=schemas.SCHEMAS,
    responses=schemas.RESPONSES,
    security_schemes=schemas.SECURITY_SCHEMES,
    description=schemas.DESCRIPTION,
    control_endpoints=routes.CONTROL_ENDPOINTS,
    credentials=backend.credentials,
    add_fixtures=backend.add_fixtures,
    migrations=tables.MIGRATIONS,
)
