"""How much of a request body the emulator reads, and what a client hanging up mid-body means.

A body over `max_body_bytes` is answered 413 in the shape of the vendor asked
(the control plane's JSON for `/_emulator/`), with the reason in the journal:
at once when `Content-Length` says so, before routing and without reading a
byte of it; while streaming (chunked bodies) as soon as the count passes the
limit, without reading on. The answer closes the connection, so the server
does not read the unsent rest either.

Starlette's own `max_body_size` was not used: it refuses only when the
endpoint first reads, answers plain text when the endpoint answers without
reading, and sits outside the journal middleware, so the journal would miss
its reason.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from token_emulator.adapters.starlette import route_path
from token_emulator.core.errors import ErrorRenderer, one_line
from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.scope_keys import DROPPED_KEY, NOW_KEY, REASON_KEY

TOO_LARGE = 413
# RFC 9110's name for 413; Python 3.11's HTTPStatus still says "Request Entity Too Large".
TOO_LARGE_MESSAGE = "Content Too Large"

RendererFor = Callable[[Scope], ErrorRenderer]
# Where a world is created, and may be imported from an export document: a world's
# whole state is larger than any request a vendor takes, so it has a limit of its own.
IMPORT_PATH = "/_emulator/worlds"
MAX_IMPORT_BYTES = 64 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from `receive` once a streamed body passes the limit; never leaves this module."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length; None when absent or unreadable (the server refuses
    a malformed one before we run; in-process, the stream is counted instead), and
    None beside a Transfer-Encoding, which overrides it (RFC 9112, 6.3): h11 then
    frames the body by its chunks, however long the Content-Length says it is."""
    length = None
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            length = int(text) if text.isascii() and text.isdigit() else None
    return length


def _unbounded_framing(scope: Scope) -> str:
    names = {name for name, _value in scope["headers"]}
    if b"transfer-encoding" in names and b"content-length" in names:
        return "Transfer-Encoding, which overrides its Content-Length"
    return "no Content-Length"


class BodyLimitMiddleware:
    """Inside the journaling layer (which names the vendor), before dispatch."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, renderer_for: RendererFor) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.renderer_for = renderer_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if scope["method"] == "POST" and route_path(scope) == IMPORT_PATH:
            limit = max(limit, MAX_IMPORT_BYTES)
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            reason = (
                f"body of {declared} bytes (Content-Length) is over the {limit}-byte "
                "limit; refused unread"
            )
            await self._refuse(scope, receive, send, reason)
            return
        if declared is not None and scope.get("http_version") != "2":
            # The server stops an HTTP/1.1 body at its Content-Length, so it fits: no
            # need to count it (a wrapper on every receive and send).
            try:
                await self.app(scope, receive, send)
            except ClientDisconnect:
                self._dropped(scope, f"before the {declared} bytes of its Content-Length arrived")
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(received)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:
            if started:  # pragma: no cover - every endpoint reads its body before answering
                raise
            reason = (
                f"body passed the {limit}-byte limit at {error.received} bytes "
                f"({_unbounded_framing(scope)}); the rest was not read"
            )
            await self._refuse(scope, receive, send, reason)
        except ClientDisconnect:
            self._dropped(scope, f"after {received} bytes of the body")

    @staticmethod
    def _dropped(scope: Scope, when: str) -> None:
        # The client hung up before its body was complete: nobody to answer, and no
        # error of ours. The journal shows it as a dropped request (status 0).
        scope[REASON_KEY] = f"client disconnected {when}"
        scope[DROPPED_KEY] = True

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        scope[REASON_KEY] = reason
        response = self.renderer_for(scope)(TOO_LARGE, TOO_LARGE_MESSAGE, scope.get(NOW_KEY) or 0.0)
        response.headers[REASON_HEADER] = one_line(reason)
        # Close after answering: the server would otherwise read (and drop) the unsent rest
        # to reach the next request on the connection.
        response.headers["connection"] = "close"
        await response(scope, receive, send)
