"""web1on1's HTTP layer: parse the request, call the rules, render web1on1's answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.bodies import BodyProblem, parse_optional_object
from token_emulator.core.errors import ControlError
from token_emulator.core.world import now_of, world_of
from token_emulator.vendors.web1on1 import backend, records
from token_emulator.vendors.web1on1.errors import bad_request

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_SORT_FIELDS = 10


async def _rate_limited(request: Request) -> None:
    """web1on1's per-IP limit; the per-API-key one is checked on authentication."""
    ip = request.client.host if request.client else "unknown"
    await backend.check_rate(world_of(request), now_of(request), f"IP {ip}")


async def _body(request: Request) -> dict[str, Any]:
    try:
        return parse_optional_object(await request.body())
    except BodyProblem as problem:
        raise bad_request(str(problem)) from None


async def _caller(request: Request) -> backend.Caller:
    await _rate_limited(request)
    return await backend.authenticate(
        world_of(request), now_of(request), request.headers.get("authorization")
    )


async def token(request: Request) -> Response:
    """POST: log in with email and password, or refresh after expiry; GET: refresh before it."""
    world, now = world_of(request), now_of(request)
    if request.method == "GET":
        caller = await _caller(request)
        refresh_token = request.query_params.get("refreshToken")
        issued = await backend.refresh(world, now, refresh_token, caller=caller)
        return JSONResponse(issued, status_code=201)
    await _rate_limited(request)
    body = await _body(request)
    if "refreshToken" in body:
        client_id = body.get("clientId")
        if not isinstance(client_id, str) or not client_id:
            raise bad_request("clientId (the user's email) must be a non-empty string")
        issued = await backend.refresh(world, now, body["refreshToken"], client_id=client_id)
    else:
        issued = await backend.issue_with_password(world, now, body)
    return JSONResponse(issued, status_code=201)


def _whole_number(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise bad_request(f"{name} must be a whole number from {low:,} to {high:,}")
    value = int(text)
    if not low <= value <= high:
        raise bad_request(f"{name} must be a whole number from {low:,} to {high:,}")
    return value


def _field_list(request: Request, name: str) -> tuple[str, ...] | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    fields = tuple(part for part in text.replace(",", " ").split() if part.strip("-+"))
    if not fields or len(fields) > MAX_SORT_FIELDS:
        raise bad_request(f"{name} must list 1 to {MAX_SORT_FIELDS} field names")
    return fields


def _list_query(request: Request) -> records.ListQuery:
    return records.ListQuery(
        limit=_whole_number(request, "limit", records.DEFAULT_LIMIT, 1, records.MAX_LIMIT),
        offset=_whole_number(request, "offset", 0, 0, 10**9),
        sort=_field_list(request, "sort") or records.DEFAULT_SORT,
        select=_field_list(request, "select"),
    )


def collection(kind: str) -> Endpoint:
    """`GET /v2/<kind>` lists (metadata in x- headers), `POST /v2/<kind>` creates."""

    async def endpoint(request: Request) -> Response:
        world, now = world_of(request), now_of(request)
        caller = await _caller(request)
        if request.method == "POST":
            created = await records.create_record(world, now, caller, kind, await _body(request))
            return JSONResponse(created, status_code=201)
        page = await records.list_records(world, caller, kind, _list_query(request))
        headers = {
            "X-Total-Count": str(page.total),
            "X-Limit": str(page.limit),
            "X-Offset": str(page.offset),
        }
        return JSONResponse(page.records, headers=headers)

    endpoint.__name__ = f"{kind}_collection"
    return endpoint


def item(kind: str) -> Endpoint:
    """`GET`, `PATCH`, `DELETE` (and for messages `PUT`) of `/v2/<kind>/{id}`."""

    async def endpoint(request: Request) -> Response:
        world, now = world_of(request), now_of(request)
        caller = await _caller(request)
        record_id = request.path_params["record_id"]
        if request.method == "GET":
            found = await records.fetch_record(world, caller, kind, record_id)
        elif request.method == "DELETE":
            found = await records.delete_record(world, caller, kind, record_id)
        else:
            found = await records.update_record(
                world,
                now,
                caller,
                kind,
                record_id,
                await _body(request),
                replace=request.method == "PUT",
            )
        return JSONResponse(found)

    endpoint.__name__ = f"{kind}_item"
    return endpoint


async def conversation_messages(request: Request) -> Response:
    """`POST /v2/conversations/{id}/messages`, the official SDK's way to post a message."""
    world, now = world_of(request), now_of(request)
    caller = await _caller(request)
    created = await records.create_record(
        world,
        now,
        caller,
        "messages",
        await _body(request),
        conversation=request.path_params["record_id"],
    )
    return JSONResponse(created, status_code=201)


async def control_api_keys(request: Request) -> Response:
    """`GET /_emulator/web1on1/api-keys`: the fixtures' API keys and their Bearer tokens."""
    return JSONResponse({"api_keys": await backend.list_api_keys(world_of(request))})


async def control_revoke_user_tokens(request: Request) -> Response:
    """`DELETE /_emulator/web1on1/users/{id}/tokens`: every token of that user is refused."""
    world = world_of(request)
    user_id = request.path_params["user_id"]
    revoked = await backend.revoke_user_tokens(world, await world.clock.now(), user_id)
    if revoked is None:
        raise ControlError(f"no web1on1 user {user_id[:64]!r}", status=404)
    return JSONResponse({"user": user_id, "revoked_access_tokens": revoked})


async def control_revoke_api_key(request: Request) -> Response:
    """`DELETE /_emulator/web1on1/api-keys/{id}`: its token is refused from now on."""
    world = world_of(request)
    key_id = request.path_params["key_id"]
    revoked = await backend.revoke_api_key(world, await world.clock.now(), key_id)
    if revoked is None:
        raise ControlError(f"no web1on1 API key {key_id[:64]!r}", status=404)
    return JSONResponse(revoked)
