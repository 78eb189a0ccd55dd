"""`/_emulator/faults`, `/routes` and `/fixtures`: what QA changes at run time."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.control.admin import settings_of
from token_emulator.control.handlers import json_object
from token_emulator.core import faults, runtime_fixtures
from token_emulator.core.errors import ControlError
from token_emulator.core.fixtures import FixtureError
from token_emulator.core.vendor import Vendor
from token_emulator.core.world import World, world_of

FAULT_FIELDS = {
    "vendor",
    "route",
    "method",
    "status",
    "delay_ms",
    "drop",
    "probability",
    "times",
    "seed",
}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}


def _vendor(world: World, vendor_id: Any, status: int = 400) -> Vendor:
    vendor = world.vendor(vendor_id) if isinstance(vendor_id, str) else None
    if vendor is None:
        known = ", ".join(v.id for v in world.vendors)
        raise ControlError(f"unknown vendor {str(vendor_id)[:64]!r}; valid: {known}", status=status)
    return vendor


def _route_name(vendor: Vendor, route: Any) -> str | None:
    if route is None:
        return None
    names = [r.name for r in vendor.routes()]
    if isinstance(route, str):
        full = route if ":" in route else f"{vendor.id}:{route}"
        if full in names:
            return full
    valid = ", ".join(name.split(":", 1)[1] for name in names)
    raise ControlError(f"unknown route {str(route)[:64]!r} for {vendor.id}; valid: {valid}")


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ControlError(f"{name} must be a whole number from {low:,} to {high:,}")
    return value


def fault_values(world: World, body: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The columns of a new fault from a request body, and its seed; ControlError if wrong."""
    unknown = sorted(set(body) - FAULT_FIELDS)
    if unknown:
        raise ControlError(
            f"unknown field {', '.join(unknown)}; use {', '.join(sorted(FAULT_FIELDS))}"
        )
    vendor = _vendor(world, body.get("vendor"))
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or method.upper() not in METHODS):
        raise ControlError(f"method must be one of {', '.join(sorted(METHODS))}")
    status = _whole(body, "status", 100, 599)
    if status is not None and status not in HTTPStatus._value2member_map_:
        raise ControlError(f"status {status} is not an HTTP status code")
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise ControlError("drop must be true or false")
    delay_ms = _whole(body, "delay_ms", 0, faults.MAX_DELAY_MS)
    if status is None and not drop and not delay_ms:
        raise ControlError("give status, drop or delay_ms")
    if status is not None and drop:
        raise ControlError("status and drop exclude each other: a dropped connection has none")
    probability = body.get("probability", 1)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise ControlError("probability must be a number from 0 to 1")
    if not 0 <= probability <= 1:
        raise ControlError("probability must be a number from 0 to 1")
    times = _whole(body, "times", 1, faults.MAX_TIMES)
    values = {
        "vendor": vendor.id,
        "route": _route_name(vendor, body.get("route")),
        "method": method.upper() if isinstance(method, str) else None,
        "status": status,
        "delay_ms": delay_ms,
        "drop": drop,
        "probability": float(probability),
        "times_left": times if times is not None else 1,
    }
    return values, _whole(body, "seed", 0, 2**31 - 1)


async def faults_collection(request: Request) -> Response:
    world = world_of(request)
    if request.method == "GET":
        return JSONResponse({"faults": await faults.active(world.store)})
    if request.method == "DELETE":
        await faults.remove(world.store, None)
        return JSONResponse({"faults": []})
    values, seed = fault_values(world, await json_object(request))
    created = await faults.add(world.store, await world.clock.now(), values, seed)
    return JSONResponse({"fault": created}, status_code=201)


async def fault_item(request: Request) -> Response:
    text = request.path_params["id"]
    fault_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
    store = world_of(request).store
    removed = await faults.remove(store, fault_id) if fault_id is not None else None
    if removed is None:
        raise ControlError(f"no fault {text[:32]!r}", status=404)
    return JSONResponse({"fault": removed})


async def routes(request: Request) -> Response:
    return JSONResponse(routes_answer(world_of(request)))


def routes_answer(world: World) -> dict[str, Any]:
    """Every vendor route by name: the targets of faults and the journal's `route` filter."""
    listed = []
    for vendor in world.vendors:
        named = [
            {
                "name": r.name,
                "short": r.short,
                "methods": list(r.methods),
                "path": r.path,
                "paths": list(r.paths),
            }
            for r in vendor.routes()
        ]
        listed.append(
            {"id": vendor.id, "title": vendor.title, "prefix": f"/{vendor.id}", "routes": named}
        )
    return {"vendors": listed}


async def add_fixtures(request: Request) -> Response:
    world = world_of(request)
    body = await json_object(request)
    unknown = sorted(set(body) - {"vendor", "fixtures"})
    if unknown or "fixtures" not in body:
        raise ControlError(
            'give {"vendor": <id>, "fixtures": {<sections or settings of its fixture file>}}'
        )
    vendor = _vendor(world, body.get("vendor"), status=404)  # as /_emulator/state/{vendor}
    try:
        now = await world.clock.now()
        in_file = world.fixtures[vendor.id]
        added, in_force = await runtime_fixtures.add(
            world.store,
            vendor,
            in_file,
            body["fixtures"],
            now,
            max_entries=settings_of(request).max_added_entries,
        )
    except FixtureError as error:
        raise ControlError(
            "fixtures rejected", problems=[str(problem) for problem in error.problems]
        ) from None
    answer: dict[str, Any] = {"vendor": vendor.id, "added": added}
    if in_force:
        answer["settings"] = in_force  # the settings this document put in force
    return JSONResponse(answer, status_code=201)
