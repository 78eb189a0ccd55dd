"""The journal's control calls: `/_emulator/requests` (list, clear), one entry whole, a
count, and the whole journal as HAR 1.2 (control/har.py)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.control.har import har_document
from token_emulator.core.errors import ControlError
from token_emulator.core.instants import parse_instant
from token_emulator.core.journal import is_status_filter
from token_emulator.core.world import World, world_of

FILTERS = ("vendor", "route", "status", "method", "since", "until")
BODY_PREFIX = "body."
FLAGS = ("true", "false", "1", "0")


def _flag(query: QueryParams, name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in FLAGS:
        raise ControlError(f"{name} must be true or false")
    return value in ("true", "1")


def journal_filters(query: QueryParams, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The filters a journal call was given, checked; ControlError names a bad one."""
    unknown = sorted(
        key for key in set(query) if key not in allowed and not key.startswith(BODY_PREFIX)
    )
    if unknown:
        shown = ", ".join(name[:40] for name in unknown)
        raise ControlError(
            f"unknown filter {shown}; use {', '.join(allowed)}, body.<field>=<value>"
        )
    found: dict[str, Any] = {
        name: query[name] for name in ("vendor", "route", "method") if name in query
    }
    status = query.get("status")
    if status is not None:
        if not is_status_filter(status):
            raise ControlError("status must be a code (401) or a class (4xx)")
        found["status"] = status
    for bound in ("since", "until"):
        if bound in query:
            try:
                found[bound] = parse_instant(query[bound])
            except ValueError as error:
                raise ControlError(f"{bound}: {error}") from None
    body = {
        key[len(BODY_PREFIX) :]: value
        for key, value in query.items()
        if key.startswith(BODY_PREFIX)
    }
    if any(not path for path in body):
        raise ControlError("body.<field>: name a field of the request's JSON body")
    if body:
        found["body"] = body
    if "limit" in query and "limit" in allowed:
        try:
            found["limit"] = int(query["limit"])
        except ValueError:
            raise ControlError("limit must be a whole number") from None
        if found["limit"] < 1:
            raise ControlError("limit must be at least 1")
    return found


async def requests(request: Request) -> Response:
    world = world_of(request)
    if request.method == "DELETE":
        world.observe(await world.clock.read())
        world.journal.clear()
        return JSONResponse({"requests": []})
    query = request.query_params
    filters = journal_filters(query, (*FILTERS, "limit", "bodies", "reveal"))
    bodies, reveal = _flag(query, "bodies"), _flag(query, "reveal")
    return JSONResponse(await journal_answer(world, bodies=bodies, reveal=reveal, **filters))


async def journal_answer(
    world: World, *, bodies: bool = False, reveal: bool = False, **filters: Any
) -> dict[str, Any]:
    world.observe(await world.clock.read())  # a reset by another process empties ours too
    entries = world.journal.entries(**filters)
    return {"requests": [entry.as_json(bodies=bodies, reveal=reveal) for entry in entries]}


async def count(request: Request) -> Response:
    world = world_of(request)
    filters = journal_filters(request.query_params, FILTERS)
    world.observe(await world.clock.read())
    return JSONResponse({"count": len(world.journal.entries(**filters))})


async def entry(request: Request) -> Response:
    world = world_of(request)
    text = request.path_params["id"]
    reveal = _flag(request.query_params, "reveal")
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
    world.observe(await world.clock.read())
    found = world.journal.entry(number) if number is not None else None
    if found is None:
        raise ControlError(f"no journal entry {text[:32]!r}", status=404)
    return JSONResponse(found.as_json(bodies=True, reveal=reveal))


async def har(request: Request) -> Response:
    world = world_of(request)
    reveal = _flag(request.query_params, "reveal")
    world.observe(await world.clock.read())
    entries = list(reversed(world.journal.entries()))  # oldest first, as HAR reads
    host = request.headers.get("host", "localhost")
    disposition = f'attachment; filename="{world.name}.har"'
    return JSONResponse(
        har_document(entries, host, reveal=reveal), headers={"Content-Disposition": disposition}
    )
