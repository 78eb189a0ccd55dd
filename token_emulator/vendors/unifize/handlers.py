"""Unifize's HTTP layer: parse the request, call the backend, render Unifize's answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.bodies import BodyProblem, parse_json_object
from token_emulator.core.headers import HeaderProblem, bearer_token
from token_emulator.core.instants import isoformat
from token_emulator.core.world import now_of, world_of
from token_emulator.vendors.unifize import backend
from token_emulator.vendors.unifize.errors import bad_request, not_found, unauthorized


def _bearer(request: Request) -> str:
    try:
        return bearer_token(request.headers.get("authorization"))
    except HeaderProblem as problem:
        raise unauthorized(str(problem)) from None


async def _issue(request: Request, org_id: int | None) -> Response:
    issued = await backend.issue_access_token(
        world_of(request), now_of(request), assertion=_bearer(request), org_id=org_id
    )
    return JSONResponse(
        {"accessToken": issued.access_token, "expiresAt": isoformat(issued.expires_at)}
    )


async def app_token(request: Request) -> Response:
    return await _issue(request, None)


async def installation_token(request: Request) -> Response:
    org_id = backend.parse_id(request.path_params["org_id"])
    if org_id is None:
        raise not_found(f"no org {request.path_params['org_id'][:40]!r}: org ids are numbers")
    return await _issue(request, org_id)


async def token_info(request: Request) -> Response:
    try:
        body = parse_json_object(await request.body())
    except BodyProblem as problem:
        raise bad_request(str(problem)) from None
    info = await backend.token_info(world_of(request), now_of(request), body.get("token"))
    return JSONResponse(info)


async def list_chatrooms(request: Request) -> Response:
    rooms = await backend.list_chatrooms(world_of(request), now_of(request), _bearer(request))
    return JSONResponse(rooms)


async def get_chatroom(request: Request) -> Response:
    room = await backend.get_chatroom(
        world_of(request), now_of(request), _bearer(request), request.path_params["room_id"]
    )
    return JSONResponse(room)
