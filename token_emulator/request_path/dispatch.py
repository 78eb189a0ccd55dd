"""Vendor dispatch: a vendor request goes straight to the mount its path names.

By its first two segments, then its first (UneeQ's `/uneeq/eu` before
`/uneeq`), instead of through the app-wide exception layer and a match against
every vendor's routes; each mount renders its own refusals (vendor_shell.py).
A path no mount takes goes on to Starlette's router, which answers it as the
control plane's (or a 404).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.adapters.starlette import enter_route, route_path
from token_emulator.core.scope_keys import VENDOR_KEY


class VendorDispatch:
    def __init__(self, app: ASGIApp, mounts: Sequence[Mount]) -> None:
        self.app = app
        self.by_prefix = {mount.path: mount for mount in mounts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(VENDOR_KEY):
            segments = route_path(scope).split("/", 3)
            mount = self.by_prefix.get("/".join(segments[:3])) or self.by_prefix.get(
                "/".join(segments[:2])
            )
            if mount is not None:
                match, child_scope = mount.matches(scope)
                if match is Match.FULL:
                    enter_route(scope, mount, child_scope)
                    await mount.handle(scope, receive, send)
                    return
        await self.app(scope, receive, send)
