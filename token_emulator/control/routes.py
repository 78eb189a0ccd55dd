"""Control-plane routes, mounted at /_emulator."""

from __future__ import annotations

from starlette.routing import Mount, Route

from token_emulator.control import admin, dashboard, faults, handlers

ROUTES = [
    Route("/", dashboard.page, methods=["GET"], name="control:dashboard"),
    Mount("/assets", app=dashboard.assets(), name="control:assets"),
    Route("/credentials", dashboard.credentials, methods=["GET"], name="control:credentials"),
    Route("/health", handlers.health, methods=["GET"], name="control:health"),
    Route("/reset", handlers.reset, methods=["POST"], name="control:reset"),
    Route("/clock", handlers.clock, methods=["GET", "POST"], name="control:clock"),
    Route("/requests", handlers.requests, methods=["GET", "DELETE"], name="control:requests"),
    Route("/state/{vendor}", handlers.vendor_state, methods=["GET"], name="control:state"),
    Route(
        "/faults",
        faults.faults_collection,
        methods=["GET", "POST", "DELETE"],
        name="control:faults",
    ),
    Route("/faults/{fault_id}", faults.fault_item, methods=["DELETE"], name="control:fault"),
    Route("/routes", faults.routes, methods=["GET"], name="control:routes"),
    Route("/fixtures", faults.add_fixtures, methods=["POST"], name="control:fixtures"),
    Route("/login", admin.login, methods=["POST"], name="control:login"),
    Route("/openapi.json", handlers.openapi, methods=["GET"], name="control:openapi"),
]
