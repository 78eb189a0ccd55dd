"""The innermost layer, one per vendor route: the faults aimed at the route act first,
then its handler is called (as Starlette's `request_response` would, without its
exception wrapper), and a refusal is rendered in the route's shape.

Faults live in the store (core/faults.py); this is where one acts on a request:
it waits, drops the connection, or answers its status in the route's own error
shape.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from token_emulator.adapters.uvicorn import abort_connection
from token_emulator.core import faults
from token_emulator.core.endpoints import Handler
from token_emulator.core.errors import EmulatorError, ErrorRenderer, answer, mark_refusal
from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.scope_keys import (
    ARMED_KEY,
    DROPPED_KEY,
    FORCED_KEY,
    NOW_KEY,
    RAW_SEND_KEY,
    REASON_KEY,
)


class ConnectionDropped(Exception):
    """Raised where no server transport exists to drop (the ASGI app called in-process)."""


class VendorRoute:
    __slots__ = ("handler", "name", "render", "vendor_id")

    def __init__(self, handler: Handler, vendor_id: str, name: str, render: ErrorRenderer) -> None:
        self.handler = handler
        self.vendor_id = vendor_id
        self.name = name
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(ARMED_KEY, 1):
            store = scope["state"]["world"].store
            fault = await faults.take(store, self.vendor_id, self.name, scope["method"])
            if fault is not None and await act(fault, scope, receive, send, self.render):
                return
        request = Request(scope, receive, send)
        try:
            response = await self.handler(request)
        except EmulatorError as error:
            response = answer(error, self.render, scope.get(NOW_KEY) or 0.0)
            mark_refusal(request, response, error.reason)
        await response(scope, receive, send)


async def act(
    fault: Row[Any], scope: Scope, receive: Receive, send: Send, render: ErrorRenderer
) -> bool:
    """Do what `fault` says to the request: wait, drop the connection, or answer its status
    in the route's error shape. False: the request is to be answered normally (a delay
    alone, once waited)."""
    scope[FORCED_KEY] = fault.id
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)  # real time: it is about the wire
    if fault.drop:
        scope[REASON_KEY] = f"connection dropped by fault #{fault.id}"
        scope[DROPPED_KEY] = True
        if not await abort_connection(scope.get(RAW_SEND_KEY)):
            raise ConnectionDropped("fault: connection dropped (no server transport in-process)")
        return True
    if fault.status is None:
        return False
    scope[REASON_KEY] = f"status {fault.status} forced by fault #{fault.id}"
    phrase = HTTPStatus(fault.status).phrase
    response = render(fault.status, phrase, scope.get(NOW_KEY) or 0.0)
    response.headers[REASON_HEADER] = scope[REASON_KEY]
    await response(scope, receive, send)
    return True
