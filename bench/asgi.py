"""A minimal ASGI caller: requests into an app in-process, no sockets, no HTTP client.

What a server does for one request, and no more: build the scope, hand over
the body once, collect the answer. The lifespan runs once around many
requests, and each request gets a shallow copy of the lifespan state, as
uvicorn does. Its own cost is measured against the bare reference app
(bench/inprocess.py) and reported as the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Headers
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


class LifespanFailed(RuntimeError):
    """The app refused to start (or stop); the message is the app's."""


class AsgiCaller:
    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client
        self.state: dict[str, Any] = {}

    async def request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
        body: bytes = b"",
        query: bytes = b"",
    ) -> Answer:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"localhost"), *headers],
            "client": self.client,
            "server": ("localhost", 80),
            "state": self.state.copy(),
        }
        answered = asyncio.Event()
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()  # as a server would: the client leaves after the answer
            return {"type": "http.disconnect"}

        status = 0
        answer_headers: Headers = []
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status, answer_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        await self.app(scope, receive, send)
        return Answer(status, answer_headers, b"".join(chunks))


@contextlib.asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[AsgiCaller]:
    """The app with its lifespan started (once) and stopped on exit."""
    caller = AsgiCaller(app)
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": caller.state}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        with contextlib.suppress(Exception):  # the app re-raises what it said in the message
            await task
        raise LifespanFailed(started.get("message", started["type"]))
    try:
        yield caller
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await outbox.get()
        await task
        if stopped["type"] != "lifespan.shutdown.complete":
            raise LifespanFailed(stopped.get("message", stopped["type"]))
