"""A route declared once: its handler, and the operations the OpenAPI document gives it.

Starlette takes the route's path, methods and name from the operations (one per
method), so the document cannot describe a route the app does not serve, or
miss one it does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from token_emulator.core.errors import ErrorRenderer
from token_emulator.core.openapi import Operation

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, init=False)
class Endpoint:
    handler: Handler
    operations: tuple[Operation, ...]
    # The shape of this route's refusals when it is not its vendor's (8x8's HTML pages).
    render: ErrorRenderer | None = None

    def __init__(
        self, handler: Handler, *operations: Operation, render: ErrorRenderer | None = None
    ) -> None:
        if not operations:
            raise ValueError(f"{handler.__name__}: an endpoint needs its operations")
        first = operations[0]
        for other in operations[1:]:
            if (other.path, other.route) != (first.path, first.route):
                raise ValueError(f"{first.route}: one endpoint, one path and one route name")
        object.__setattr__(self, "handler", handler)
        object.__setattr__(self, "operations", operations)
        object.__setattr__(self, "render", render)

    @property
    def path(self) -> str:
        return self.operations[0].path

    @property
    def name(self) -> str:
        return self.operations[0].route

    @property
    def methods(self) -> list[str]:
        return [operation.method for operation in self.operations]

    def route(self, app: ASGIApp | None = None) -> Route:
        """Starlette's route: the handler as Starlette calls it, or `app` in its place
        (a vendor route's VendorRoute: request_path/vendor_route.py)."""
        return Route(
            self.path,
            self.handler if app is None else app,
            methods=self.methods,
            name=self.name,
        )
