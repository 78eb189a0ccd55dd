"""Control-plane routes, mounted at /_emulator."""

from __future__ import annotations

from starlette.routing import Route

from emulator.control import handlers

ROUTES = [
    Route("/health", handlers.health, methods=["GET"], name="control:health"),
    Route("/reset", handlers.reset, methods=["POST"], name="control:reset"),
    Route("/clock", handlers.clock, methods=["GET", "POST"], name="control:clock"),
    Route("/requests", handlers.requests, methods=["GET", "DELETE"], name="control:requests"),
    Route("/state/{vendor}", handlers.vendor_state, methods=["GET"], name="control:state"),
    Route("/openapi.json", handlers.openapi, methods=["GET"], name="control:openapi"),
]
