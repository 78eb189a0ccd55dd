"""Control-plane routes, mounted at /_emulator: each call of control/api.py with its handler."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from token_emulator.control import admin, api, dashboard, faults, handlers, journal, worlds
from token_emulator.core.endpoints import Endpoint

ENDPOINTS = (
    Endpoint(dashboard.page, api.DASHBOARD),
    Endpoint(dashboard.credentials, api.CREDENTIALS),
    Endpoint(handlers.health, api.HEALTH),
    Endpoint(handlers.ca_certificate, api.CA_CERTIFICATE),
    Endpoint(handlers.reset, api.RESET),
    Endpoint(handlers.clock, api.READ_CLOCK, api.MOVE_CLOCK),
    Endpoint(journal.requests, api.REQUESTS, api.CLEAR_REQUESTS),
    Endpoint(journal.count, api.COUNT_REQUESTS),  # before /requests/{id}, which it would match
    Endpoint(journal.entry, api.REQUEST_ENTRY),
    Endpoint(journal.har, api.HAR),
    Endpoint(handlers.vendor_state, api.STATE),
    Endpoint(faults.faults_collection, api.FAULTS, api.ADD_FAULT, api.CLEAR_FAULTS),
    Endpoint(faults.fault_item, api.CLEAR_FAULT),
    Endpoint(faults.routes, api.ROUTES),
    Endpoint(faults.add_fixtures, api.ADD_FIXTURES),
    Endpoint(admin.login, api.LOGIN),
    Endpoint(admin.logout, api.LOGOUT),
    Endpoint(handlers.openapi, api.OPENAPI),
    Endpoint(worlds.worlds_collection, api.WORLDS, api.CREATE_WORLD),
    Endpoint(worlds.world_item, api.DELETE_WORLD),
    Endpoint(worlds.export, api.EXPORT),
)

ROUTES: list[BaseRoute] = [
    *(endpoint.route() for endpoint in ENDPOINTS),
    # Files, not an endpoint: described by api.ASSETS.
    Mount("/assets", app=dashboard.assets(), name="control:assets"),
]
