"""8x8's HTTP layer: parse the request, call the backend, render 8x8's answer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.bodies import BodyProblem, parse_optional_object
from token_emulator.core.headers import HeaderProblem, bearer_token
from token_emulator.core.links import base_url
from token_emulator.core.world import now_of, world_of
from token_emulator.vendors.eightbyeight import backend
from token_emulator.vendors.eightbyeight.errors import (
    bad_request,
    method_not_allowed,
    unauthorized,
)
from token_emulator.vendors.eightbyeight.pages import page


def _bearer(request: Request) -> str:
    try:
        return bearer_token(request.headers.get("authorization"), "API key")
    except HeaderProblem as problem:
        raise unauthorized(str(problem)) from None


async def _token_body(request: Request) -> dict[str, Any]:
    # Empty reads as {}: an empty body buys a token (docs/vendors/eightbyeight.md).
    try:
        return parse_optional_object(await request.body())
    except BodyProblem as problem:
        raise bad_request(backend.BODY_NOT_OBJECT, str(problem)) from None


async def issue_token(request: Request) -> Response:
    world = world_of(request)
    key = await backend.authenticate_key(world, _bearer(request))
    wanted = backend.check_token_request(await _token_body(request))
    issued = await backend.issue_token(
        world, now_of(request), key=key, wanted=wanted, base_url=base_url(request)
    )
    if issued.room is None:
        return JSONResponse({"auth_token": issued.auth_token})
    return JSONResponse(
        {
            "call_reference": issued.room["call_reference"],
            "guest_link": issued.room["guest_link"],
            "auth_token": issued.auth_token,
        }
    )


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name} must be given once", f"{name} given {len(values)} times")
    return values[0] if values else None


async def agent_login(request: Request) -> Response:
    if request.method == "HEAD":
        # Starlette answers HEAD on GET routes; a login has effects (an SMS), so no.
        raise method_not_allowed("HEAD does not log an agent in; use GET")
    user, token = _single(request, "user"), _single(request, "token")
    if not user or not token:
        missing = [name for name, value in (("user", user), ("token", token)) if not value]
        raise bad_request(
            "The login link needs both user and token query parameters.",
            f"query parameter {' and '.join(missing)} missing or empty",
        )
    login = await backend.agent_login(
        world_of(request), now_of(request), user=user, auth_token=token, base_url=base_url(request)
    )
    room = login.room
    return page(
        "Agent in the room",
        [f"{login.agent_email} is in the video room and waiting for the guest."],
        {
            "Agent": login.agent_email,
            "Call reference": room["call_reference"],
            "Guest link": room["guest_link"],
            "Room valid until": room["expires_at"],
        },
    )


async def guest(request: Request) -> Response:
    room = await backend.guest_room(
        world_of(request), now_of(request), request.path_params["room_id"]
    )
    return page(
        "Video call",
        ["You are in the waiting room; an agent will join you."],
        {"Call reference": room["call_reference"], "Room valid until": room["expires_at"]},
    )


def _x_token(request: Request) -> str:
    token = request.headers.get("x-token")
    if token is None:
        if "authorization" in request.headers:
            raise unauthorized(
                "x-token header is required: reporting calls do not accept Authorization: Bearer"
            )
        raise unauthorized("missing x-token header")
    if not token.strip():
        raise unauthorized("x-token header is empty")
    return token.strip()


async def call_logs(request: Request) -> Response:
    world, now = world_of(request), now_of(request)
    caller = await backend.reporting_caller(world, now, _x_token(request))
    found = await backend.call_logs(
        world,
        now,
        caller,
        start=_single(request, "from"),
        end=_single(request, "to"),
        q=_single(request, "q"),
        cursor=_single(request, "cursor"),
        limit=_single(request, "limit"),
    )
    return JSONResponse({"calls": found.calls, "next_cursor": found.next_cursor})


async def call(request: Request) -> Response:
    world, now = world_of(request), now_of(request)
    caller = await backend.reporting_caller(world, now, _x_token(request))
    return JSONResponse(await backend.call(world, now, caller, request.path_params["call_id"]))
