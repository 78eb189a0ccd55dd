"""Kataven widget's HTTP layer: parse the request, call the backend, render the answer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.bodies import BodyProblem, parse_optional_object
from token_emulator.core.instants import isoformat
from token_emulator.core.world import now_of, world_of
from token_emulator.vendors.widget import backend
from token_emulator.vendors.widget.errors import (
    BAD_API_KEY,
    BAD_REFRESH,
    BAD_TOKEN,
    MISSING_CLIENT_KEY,
    MISSING_USER,
    refuse,
)
from token_emulator.vendors.widget.origins import OriginHeaders


def _origin_headers(request: Request) -> OriginHeaders:
    return OriginHeaders(
        origin=tuple(request.headers.getlist("origin")),
        referer=tuple(request.headers.getlist("referer")),
    )


async def _json_object(request: Request, message: str) -> dict[str, Any]:
    """The JSON body whatever the content type (the page names none but JSON);
    an empty body reads as `{}`, so the missing field is what gets reported."""
    try:
        return parse_optional_object(await request.body())
    except BodyProblem as problem:
        raise refuse(400, message, str(problem)) from None


def _bearer(request: Request) -> str:
    values = request.headers.getlist("authorization")
    if not values:
        raise refuse(401, BAD_API_KEY, "missing Authorization header")
    if len(values) > 1:
        raise refuse(401, BAD_API_KEY, f"{len(values)} Authorization headers")
    scheme, _, key = values[0].partition(" ")
    if scheme.lower() != "bearer":
        raise refuse(401, BAD_API_KEY, "Authorization is not a Bearer key")
    key = key.strip()
    if not key:
        raise refuse(401, BAD_API_KEY, "Authorization: Bearer carries no key")
    return key


def _visitor_token(issued: backend.Issued) -> Response:
    return JSONResponse(
        {
            "token": issued.token,
            "expires_at": isoformat(issued.expires_at),
            "expires_in": issued.expires_in,
        }
    )


def _session_token(issued: backend.Issued) -> Response:
    return JSONResponse(
        {
            "session_token": issued.token,
            "expires_at": isoformat(issued.expires_at),
            "expires_in": issued.expires_in,
        }
    )


async def config(request: Request) -> Response:
    body = await backend.config(
        world_of(request),
        client_key=request.query_params.getlist("client_key"),
        headers=_origin_headers(request),
    )
    return JSONResponse(body)


async def guest(request: Request) -> Response:
    body = await _json_object(request, MISSING_CLIENT_KEY)
    issued = await backend.guest_token(
        world_of(request), now_of(request), body=body, headers=_origin_headers(request)
    )
    return _visitor_token(issued)


async def user_token(request: Request) -> Response:
    # The key is checked before the body is read: a caller without one learns nothing more.
    world = world_of(request)
    account = await backend.authenticate_secret(world, _bearer(request))
    body = await _json_object(request, MISSING_USER)
    issued = await backend.user_token(world, now_of(request), account=account, body=body)
    return _visitor_token(issued)


async def exchange(request: Request) -> Response:
    body = await _json_object(request, BAD_TOKEN)
    issued = await backend.exchange(
        world_of(request), now_of(request), body=body, headers=_origin_headers(request)
    )
    return _session_token(issued)


async def refresh(request: Request) -> Response:
    body = await _json_object(request, BAD_REFRESH)
    issued = await backend.refresh(world_of(request), now_of(request), body=body)
    return _session_token(issued)
