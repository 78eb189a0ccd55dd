"""World routing, the outermost layer: a request under `/worlds/{name}/` goes to that
world (core/worlds.py), made from the fixtures on its first request.

The prefix becomes the request's root path, as a mount's does, so every layer
and route after it sees the paths of the default world (`/uneeq/...`,
`/_emulator/...`) and the links a vendor builds (8x8's guest link) keep the
prefix. A path that names no world a request may make (a bad name, a name
written with percent escapes, a path no vendor or control route takes, a
request the guard refuses, a world's control plane asked without the admin
token) makes none: it goes on as a request of the default world, whose
router answers it 404, or whose guard refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.adapters.starlette import served
from token_emulator.control.admin import holds_token
from token_emulator.core.instants import real_time
from token_emulator.core.world import WorldRetired
from token_emulator.core.worlds import Worlds, is_name
from token_emulator.request_path.guard import GuardRules

PREFIX = "/worlds/"
CONTROL = "_emulator"


class WorldRouting:
    def __init__(
        self,
        app: ASGIApp,
        *,
        first_segments: Iterable[str],
        routes: Sequence[BaseRoute],
        rules: GuardRules,
        admin_token: str | None,
    ) -> None:
        self.app = app
        self.served = frozenset(first_segments) | {CONTROL}
        # Every route a world serves (the vendors' and the control plane's), followed into
        # each mount: a path none takes makes no world.
        self.routes = routes
        self.rules = rules
        self.admin_token = admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        name, slash, rest = scope["path"][len(PREFIX) :].partition("/")
        if not (slash and is_name(name) and rest.split("/", 1)[0] in self.served):
            await self.app(scope, receive, send)  # a 404 of the default world
            return
        prefix = PREFIX + name
        raw = scope.get("raw_path")
        if raw is not None and not raw.startswith(prefix.encode() + b"/"):
            await self.app(scope, receive, send)  # the name was written with escapes
            return
        scope["root_path"] = scope.get("root_path", "") + prefix  # what the routes see
        worlds: Worlds = scope["state"]["worlds"]
        world = worlds.opened(name)
        if world is None and not await self._may_make(scope, rest):
            # Refused further in, as a request of the default world: none is made.
            await self.app(scope, receive, send)
            return
        state = scope["state"]
        for attempt in range(2):
            if world is None:
                world = await worlds.find(name, create=True)
                assert world is not None
            entered = world
            scope["state"] = {**state, "world": entered}
            entered.enter()
            entered.last_request = real_time()
            try:
                if rest.startswith(CONTROL):
                    await entered.check_alive()  # a vendor request learns it from the clock
                await self.app(scope, receive, send)
                return
            except WorldRetired:
                # Another process deleted it before this request read anything of it:
                # the request goes to the world made anew under its name.
                if attempt:
                    raise
                worlds.forget(entered)
                world = None
            finally:
                entered.leave()

    async def _may_make(self, scope: Scope, rest: str) -> bool:
        """Whether this request may make (or open) the world its path names."""
        if self.rules.refusal(scope) is not None or not served(self.routes, scope):
            return False
        if rest.startswith(CONTROL) and self.admin_token is not None:
            return await holds_token(Request(scope), self.admin_token)
        return True
