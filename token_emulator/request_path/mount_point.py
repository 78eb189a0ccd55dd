"""What a vendor's mount point tells its handlers (core/vendor.py, MountPoint), put into
the request's scope before its router runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class MountPointScope:
    __slots__ = ("app", "values")

    def __init__(self, app: ASGIApp, values: Mapping[str, Any]) -> None:
        self.app = app
        self.values = dict(values)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.update(self.values)
        await self.app(scope, receive, send)
