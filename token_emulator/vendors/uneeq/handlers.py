"""UneeQ's HTTP layer: parse the request, call the backend, render UneeQ's answer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.bodies import BodyProblem, json_kind, parse_json_object
from token_emulator.core.world import now_of, world_of
from token_emulator.vendors.uneeq import backend
from token_emulator.vendors.uneeq.errors import bad_request

REGION_KEY = "uneeq.region"


def _region(request: Request) -> str | None:
    region: str | None = request.scope.get(REGION_KEY)
    return region


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        return parse_json_object(await request.body())
    except BodyProblem as problem:
        raise bad_request(str(problem)) from None


async def issue_token(request: Request) -> Response:
    workspace_id = request.headers.get("workspace")
    if not workspace_id:
        raise bad_request("missing 'workspace' header")
    if _media_type(request) != "application/jwt":
        content_type = request.headers.get("content-type")
        if content_type is None:
            raise bad_request("no content-type header: send application/jwt")
        raise bad_request(f"content-type {content_type[:80]!r} is not application/jwt")
    raw = await request.body()
    try:
        request_jwt = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise bad_request("body is not UTF-8 text") from None
    if not request_jwt:
        raise bad_request("body is empty; expected a JWS signed with the workspace secret")
    token = await backend.issue_token(
        world_of(request),
        now_of(request),
        region=_region(request),
        workspace_id=workspace_id,
        request_jwt=request_jwt,
    )
    return JSONResponse({"token": token})


async def start_session(request: Request) -> Response:
    body = await _json_object(request)
    token_id = body.get("tokenId")
    if token_id is not None and not isinstance(token_id, str):
        raise bad_request(f"tokenId must be a string, got {json_kind(token_id)}")
    workspace_name = body.get("workspaceName")
    if workspace_name is not None and not isinstance(workspace_name, str):
        raise bad_request(f"workspaceName must be a string, got {json_kind(workspace_name)}")
    client = {key: value for key, value in body.items() if key != "tokenId"}
    session = await backend.start_session(
        world_of(request),
        now_of(request),
        region=_region(request),
        token_id=token_id,
        workspace_name=workspace_name,
        client=client,
    )
    response = JSONResponse({"id": session.id, "showUneeqLogo": False})
    response.headers["x-auth-token"] = session.auth_token
    return response


async def session_jwt(request: Request) -> Response:
    body = await _json_object(request)
    session_id, persona_id = body.get("session_id"), body.get("persona_id")
    if not isinstance(session_id, str) or not isinstance(persona_id, str):
        raise bad_request("session_id and persona_id must be strings")
    token = await backend.session_jwt(
        world_of(request), now_of(request), session_id=session_id, persona_id=persona_id
    )
    return JSONResponse({"token": token})
