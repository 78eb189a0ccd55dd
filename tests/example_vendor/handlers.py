"""The example vendor's HTTP layer: parse the request, call the backend, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.example_vendor import backend
from tests.example_vendor.errors import bad_request, invalid_client
from token_emulator.core.bodies import BodyProblem, parse_json_object
from token_emulator.core.headers import HeaderProblem, bearer_token
from token_emulator.core.world import now_of, world_of


async def token(request: Request) -> Response:
    try:
        body = parse_json_object(await request.body())
    except BodyProblem as problem:
        raise bad_request(str(problem)) from None
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise bad_request("client_id and client_secret must be strings")
    issued = await backend.issue(world_of(request), now_of(request), client_id, secret)
    return JSONResponse(issued)


async def introspect(request: Request) -> Response:
    try:
        presented = bearer_token(request.headers.get("authorization"))
    except HeaderProblem as problem:
        raise invalid_client(str(problem)) from None
    return JSONResponse(await backend.introspect(world_of(request), now_of(request), presented))
