"""Control-plane endpoints. Refusals are JSON `{"error": ...}` with status 400 or 404."""

from __future__ import annotations

import math
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator import __version__
from token_emulator.certificates import certificates_in
from token_emulator.control.admin import may_see_details, settings_of
from token_emulator.control.openapi import build_document
from token_emulator.core.bodies import BodyProblem, parse_optional_object
from token_emulator.core.clock import ClockReading
from token_emulator.core.durations import parse_duration
from token_emulator.core.errors import ControlError
from token_emulator.core.instants import isoformat, parse_instant
from token_emulator.core.world import World, world_of

CLOCK_ACTIONS = ("advance", "set", "freeze", "real")


async def json_object(request: Request) -> dict[str, Any]:
    try:
        return parse_optional_object(await request.body())
    except BodyProblem as problem:
        raise ControlError(str(problem)) from None


async def health(request: Request) -> Response:
    answer, status = await health_answer(request)
    return JSONResponse(answer, status_code=status)


async def ca_certificate(request: Request) -> Response:
    """The local authority's certificate, as `serve --tls` keeps it (certificates.py)."""
    settings = settings_of(request)
    if settings.tls_cert is None or settings.tls_ca is None:
        raise ControlError(
            "this emulator has no local certificate authority: it serves plain HTTP, or "
            "HTTPS with a certificate of your own (--tls-cert)",
            status=404,
        )
    try:
        pem = await anyio.Path(settings.tls_ca).read_bytes()
    except OSError as error:
        raise ControlError(f"cannot read the authority: {error.strerror}", status=503) from None
    # Whatever the file holds, this endpoint gives certificates and nothing else.
    certificates = certificates_in(pem)
    if certificates is None:
        raise ControlError("the authority's file holds no certificate", status=503)
    return Response(certificates, media_type="application/x-pem-file")


async def health_answer(request: Request) -> tuple[dict[str, Any], int]:
    """Open to all, for healthchecks. With an admin token set, only its holder learns more
    than whether it is ready and its version: the fixture path, the database URL."""
    world = world_of(request)
    details = await may_see_details(request)
    try:
        await world.clock.read()
    except SQLAlchemyError as error:
        answer = {"status": "unavailable", "version": __version__}
        if details:
            answer["error"] = f"store does not answer: {error}"
        return answer, 503
    if not details:
        return {"status": "ready", "version": __version__}, 200
    fixtures_dir = world.fixtures_dir
    return {
        "status": "ready",
        "version": __version__,
        "vendors": [vendor.id for vendor in world.vendors],
        "fixtures": {
            "directory": str(fixtures_dir),
            "files": {
                vendor.id: vendor.fixture_file
                for vendor in world.vendors
                if (fixtures_dir / vendor.fixture_file).exists()
            },
        },
        "database": world.describe_database(),
    }, 200


async def reset(request: Request) -> Response:
    world = world_of(request)
    await world.reset()
    return JSONResponse({"status": "reset", "clock": (await world.clock.read()).as_json()})


def _seconds(value: Any, name: str) -> float:
    """Seconds as a number, or a duration as the command line takes it (`15m`, `-1h30m`)."""
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as error:
            raise ControlError(f"{name}: {error}") from None
    if not isinstance(value, bool) and isinstance(value, int | float):
        try:
            if math.isfinite(value):
                return float(value)
        except OverflowError:  # an integer too large for a float
            pass
    raise ControlError(f"{name} must be a finite number of seconds or a duration such as 15m")


async def clock(request: Request) -> Response:
    world = world_of(request)
    if request.method == "GET":
        return JSONResponse((await world.clock.read()).as_json())
    body = await json_object(request)
    actions = [key for key in body if key in CLOCK_ACTIONS]
    unknown = [key for key in body if key not in CLOCK_ACTIONS]
    # `set` may come with `freeze: true`: set and freeze in one step, so the clock stops
    # exactly at the instant given (set, then freeze, would stop it a little later).
    set_and_freeze = sorted(actions) == ["freeze", "set"] and body["freeze"] is True
    if unknown or not (len(actions) == 1 or set_and_freeze):
        raise ControlError(
            f"give exactly one of {', '.join(CLOCK_ACTIONS)} (or set with freeze: true)"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    action = "set" if set_and_freeze else actions[0]
    try:
        reading = await _move_clock(world, action, body[action], freeze=set_and_freeze)
    except ValueError as error:  # out of the clock's range
        raise ControlError(f"{action}: {error}") from None
    return JSONResponse(reading.as_json())


async def _move_clock(world: World, action: str, value: Any, *, freeze: bool) -> ClockReading:
    if action == "advance":
        return await world.clock.advance(_seconds(value, "advance"))
    if action == "set":
        if not isinstance(value, str):
            raise ControlError("set must be an ISO-8601 instant")
        try:
            instant = parse_instant(value)
        except (ValueError, OverflowError):
            raise ControlError(f"set: {value!r} is not an ISO-8601 instant") from None
        return await world.clock.set(instant, freeze=freeze)
    if value is not True:
        raise ControlError(f"{action} must be true")
    if action == "freeze":
        return await world.clock.freeze()
    return await world.clock.real()


async def vendor_state(request: Request) -> Response:
    world = world_of(request)
    vendor_id = request.path_params["vendor"]
    vendor = world.vendor(vendor_id)
    if vendor is None:
        known = ", ".join(v.id for v in world.vendors)
        raise ControlError(f"unknown vendor {vendor_id!r}; known: {known}", status=404)
    now = await world.clock.now()
    async with world.store.read() as conn:
        return JSONResponse(
            {"vendor": vendor.id, "now": isoformat(now), **await vendor.state(conn, now)}
        )


async def openapi(request: Request) -> Response:
    """This app's OpenAPI 3.1 document: control routes and those of the vendors it serves."""
    return JSONResponse(build_document(world_of(request).vendors))
