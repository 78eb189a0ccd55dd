"""What tests that run over every registered vendor send, found from the vendors' own
declarations: a new vendor is in them without a line here."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from tests.conftest import FIXTURES
from token_emulator.core.vendor import Vendor
from token_emulator.vendors import all_vendors


@dataclass(frozen=True)
class Target:
    """A vendor's token route (its client's token request), as a fault names it."""

    vendor: Vendor
    route: str  # the short name: `token`, `guest`
    method: str
    path: str

    def __str__(self) -> str:
        return self.vendor.id


def route_name(vendor: Vendor, method: str, path: str) -> str:
    """The name of the vendor's endpoint that takes `method path` (`web1on1:token`), as
    the journal and faults name it."""
    under = path.removeprefix(f"/{vendor.id}")
    for endpoint in vendor.endpoints:
        if endpoint.path == under and method in endpoint.methods:
            return endpoint.name
    raise AssertionError(f"{vendor.id}: no endpoint takes {method} {path}")


def token_target(vendor: Vendor) -> Target:
    assert vendor.client.token_call is not None, f"{vendor.id} declares no token request"
    call = vendor.client.token_call(fixtures=FIXTURES)
    name = route_name(vendor, call.method, call.path)
    return Target(vendor, name.split(":", 1)[1], call.method, call.path)


def token_targets() -> list[Target]:
    return [token_target(vendor) for vendor in all_vendors()]


def assert_in_vendors_shape(
    vendor: Vendor, response: httpx.Response, status: int, message: str
) -> None:
    """The answer is the vendor's own refusal for `status` and `message`, as its renderer
    makes it: the same content type and body, but for what differs from one render to
    the next (8x8's errorId and timestamp; the vendor's own tests check those)."""
    rendered = [vendor.render_error(status, message, now) for now in (0.0, 1_000_000_000.37)]
    assert response.status_code == status
    assert response.headers["content-type"] == rendered[0].headers["content-type"]
    expected = [bytes(answer.body) for answer in rendered]
    if "json" not in rendered[0].headers["content-type"]:
        assert response.content == expected[0]
        return
    got, first, second = response.json(), json.loads(expected[0]), json.loads(expected[1])
    assert set(got) == set(first)
    for key in first:
        if first[key] == second[key]:
            assert got[key] == first[key], key


def vendor_ids() -> list[str]:
    """The registered vendors' ids, in the registry's order."""
    return [vendor.id for vendor in all_vendors()]


# How a refusal that names the valid vendors lists them.
VALID_VENDORS = ", ".join(vendor_ids())
# A vendor id no vendor has: what the tests of an unknown vendor send.
UNKNOWN_VENDOR = "no-such-vendor"
assert UNKNOWN_VENDOR not in vendor_ids()


FORCED_AT = "2030-03-17T17:46:40Z"


async def forced_answer(client: httpx.AsyncClient, vendor: Vendor, status: int) -> httpx.Response:
    """The vendor's token route's answer to a fault forcing `status`, the clock frozen at
    FORCED_AT."""
    target = token_target(vendor)
    await client.post("/_emulator/clock", json={"freeze": True})
    await client.post("/_emulator/clock", json={"set": FORCED_AT})
    armed = await client.post(
        "/_emulator/faults", json={"vendor": vendor.id, "route": target.route, "status": status}
    )
    assert armed.status_code == 201, armed.text
    return await client.request(target.method, target.path)


def body_route(vendor: Vendor) -> tuple[str, dict[str, str]]:
    """A POST route of the vendor that reads its body, and the headers it checks before:
    its client's token request where the route takes a body (with that request's
    headers), else the first POST route whose operation documents a body."""
    assert vendor.client.token_call is not None, f"{vendor.id} declares no token request"
    call = vendor.client.token_call(fixtures=FIXTURES)
    name = route_name(vendor, call.method, call.path)
    for endpoint in vendor.endpoints:
        if endpoint.name == name and any(op.request_body for op in endpoint.operations):
            return call.path, dict(call.headers)
    for endpoint in vendor.endpoints:
        for operation in endpoint.operations:
            if operation.method == "POST" and operation.request_body is not None:
                return f"/{vendor.id}{operation.path}", {}
    raise AssertionError(f"{vendor.id} has no POST route that takes a body")
