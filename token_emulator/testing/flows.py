"""Any vendor's whole client flow in one call, by the vendor's id: one call gets a
ready token from the emulator.

    with httpx.Client(base_url="http://127.0.0.1:8080") as http:
        token = vendor_token(http, "uneeq", workspace="demo")
    async with httpx.AsyncClient(base_url=url) as http:   # or the ASGI app's client
        answer = await vendor_answer(http, "8x8", create_room=True)

The client's `base_url` is the emulator's root; the flows add the vendor
prefixes. Options are the vendor's own (its client.py, as `token-emulator token
VENDOR --help` lists them); credentials default to the fixture directory's (the
package's default fixtures unless `fixtures=` names another). A refused step
raises `FlowError` with the status, the body and the `x-emulator-reason` header;
each step is logged on the `token_emulator.testing.flows` logger (INFO).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, overload

import httpx

from token_emulator.core.calls import Steps, run
from token_emulator.vendors import client_of


def steps(vendor_id: str, **options: Any) -> Steps[dict[str, Any]]:
    """The vendor's flow as steps, returning its whole answer."""
    return client_of(vendor_id).answer(**options)


@overload
def vendor_answer(
    client: httpx.AsyncClient, vendor_id: str, **options: Any
) -> Awaitable[dict[str, Any]]: ...
@overload
def vendor_answer(client: httpx.Client, vendor_id: str, **options: Any) -> dict[str, Any]: ...
def vendor_answer(
    client: httpx.Client | httpx.AsyncClient, vendor_id: str, **options: Any
) -> dict[str, Any] | Awaitable[dict[str, Any]]:
    """The vendor's whole answer to its flow (8x8's with its room, web1on1's with its
    refresh token...)."""
    return run(client, steps(vendor_id, **options))


@overload
def vendor_token(client: httpx.AsyncClient, vendor_id: str, **options: Any) -> Awaitable[str]: ...
@overload
def vendor_token(client: httpx.Client, vendor_id: str, **options: Any) -> str: ...
def vendor_token(
    client: httpx.Client | httpx.AsyncClient, vendor_id: str, **options: Any
) -> str | Awaitable[str]:
    """The token the vendor's flow ends with (its answer's token field)."""
    field = client_of(vendor_id).token_field

    def flow() -> Steps[str]:
        found = yield from steps(vendor_id, **options)
        return str(found[field])

    return run(client, flow())
