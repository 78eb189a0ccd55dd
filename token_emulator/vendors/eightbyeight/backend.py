"""8x8 Video Interaction's rules: API keys, auth tokens, rooms, agent logins, the SMS
outbox and call logs. Never sees a Request."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from token_emulator.core.bodies import json_text
from token_emulator.core.instants import isoformat, parse_instant
from token_emulator.core.randomness import ordered_id
from token_emulator.core.settings_row import write_settings
from token_emulator.core.signing import NotIssued, NotIssuedWords, issued_claims
from token_emulator.core.storage import Connection, Store
from token_emulator.core.tokens import opaque_token, sign_hmac
from token_emulator.core.vendor import credential, mask_secret
from token_emulator.core.world import World
from token_emulator.vendors.eightbyeight.errors import (
    bad_request,
    forbidden,
    gone,
    not_found,
    unauthorized,
)
from token_emulator.vendors.eightbyeight.models import (
    DEFAULT_ROOM_TTL_SECONDS,
    EightByEightFixtures,
)
from token_emulator.vendors.eightbyeight.tables import (
    agents,
    api_keys,
    logins,
    outbox,
    rooms,
    settings,
    tokens,
)

SIGNING_SECRET = "8x8-auth-tokens"  # the name of the emulator's HS256 secret
ISSUER = "token-emulator/8x8"
MAX_ID_CHARS = 64  # room ids are 22 characters; longer ones are not looked up
# E.164: "+", then 8 to 15 ASCII digits, the first not 0 (the page's +6512345678 passes).
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
CALL_REFERENCE_CHARS = (8, 20)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
CURSOR = re.compile(r"v1:([0-9]{1,18})")

BODY_NOT_OBJECT = "body must be a JSON object"
CREATE_ROOM_MESSAGE = "create_room must be a boolean"
PHONE_MESSAGE = "phone_number must be an international number in E.164 form, e.g. +6512345678"
CALL_REFERENCE_MESSAGE = "call_reference must be a string of 8 to 20 characters"


@dataclass(frozen=True)
class ApiKey:
    key: str
    name: str


@dataclass(frozen=True)
class TokenRequest:
    """A token request's body, checked."""

    create_room: bool
    phone_number: str | None
    call_reference: str | None


@dataclass(frozen=True)
class IssuedToken:
    auth_token: str
    room: dict[str, Any] | None  # the call_reference and guest_link, when a room was made


@dataclass(frozen=True)
class Login:
    agent_email: str
    room: dict[str, Any]  # a call log record


@dataclass(frozen=True)
class CallPage:
    calls: list[dict[str, Any]]
    next_cursor: str | None


# --- API keys and tokens ---------------------------------------------------------


# The hot statements are built once (building one costs more than running it).
_API_KEY = select(api_keys).where(api_keys.c.key == bindparam("key"))
_ROOM_TTL = select(settings.c.room_ttl_seconds)
_ISSUE = tokens.insert()
_MAKE_ROOM = rooms.insert()
_TOKEN = select(tokens).where(tokens.c.jti == bindparam("jti"))


async def authenticate_key(world: World, key: str) -> ApiKey:
    """The API key behind `Authorization: Bearer`; 401 when it is not registered."""
    row = None
    if len(key) <= 512:
        row = await world.store.fixture_row(_API_KEY, key=key)
    if row is None:
        raise unauthorized("API key unknown: not in [[api_keys]]")
    return ApiKey(key=row.key, name=row.name)


def check_token_request(body: dict[str, Any]) -> TokenRequest:
    """The body's fields as 8x8's page describes them (docs/vendors/eightbyeight.md);
    unknown fields are ignored."""
    create_room = body.get("create_room", False)
    if not isinstance(create_room, bool):
        raise bad_request(CREATE_ROOM_MESSAGE, f"create_room is {json_text(create_room)}")
    phone = body.get("phone_number")
    if "phone_number" in body and not (isinstance(phone, str) and E164.fullmatch(phone)):
        raise bad_request(PHONE_MESSAGE, f"phone_number {json_text(phone)} is not E.164")
    reference = body.get("call_reference")
    low, high = CALL_REFERENCE_CHARS
    if "call_reference" in body and not (
        isinstance(reference, str) and low <= len(reference) <= high
    ):
        length = f" ({len(reference)} characters)" if isinstance(reference, str) else ""
        raise bad_request(
            CALL_REFERENCE_MESSAGE, f"call_reference {json_text(reference)}{length} refused"
        )
    return TokenRequest(create_room=create_room, phone_number=phone, call_reference=reference)


async def _room_ttl(conn: Connection) -> int:
    ttl = (await conn.execute(_ROOM_TTL)).scalar_one_or_none()
    return DEFAULT_ROOM_TTL_SECONDS if ttl is None else int(ttl)


def _new_room_id() -> str:
    return opaque_token(16)


def _new_call_reference() -> str:
    # Twelve URL-safe characters: inside the 8 to 20 the page allows.
    return opaque_token(9)


async def issue_token(
    world: World, now: float, *, key: ApiKey, wanted: TokenRequest, base_url: str
) -> IssuedToken:
    """Mint an auth token, and with create_room a room valid room_ttl_seconds from now."""
    jti = ordered_id(now)
    room: dict[str, Any] | None = None
    async with world.store.write() as conn:
        ttl = await _room_ttl(conn)
        room_id = _new_room_id() if wanted.create_room else None
        await conn.execute(
            _ISSUE,
            {
                "jti": jti,
                "api_key": key.key,
                "created_at": now,
                "expires_at": now + ttl,
                "create_room": wanted.create_room,
                "phone_number": wanted.phone_number,
                "call_reference": wanted.call_reference,
                "room_id": room_id,
            },
        )
        if room_id is not None:
            room = await _insert_room(
                conn,
                room_id=room_id,
                key=key.key,
                jti=jti,
                call_reference=wanted.call_reference or _new_call_reference(),
                phone_number=wanted.phone_number,
                base_url=base_url,
                now=now,
                ttl=ttl,
            )
    claims = {
        "iss": ISSUER,
        "sub": key.name,
        "iat": int(now),
        "exp": int(now + ttl),
        "jti": jti,
    }
    auth_token = sign_hmac(claims, await world.signing.get(SIGNING_SECRET))
    return IssuedToken(auth_token=auth_token, room=room)


async def _insert_room(
    conn: Connection,
    *,
    room_id: str,
    key: str,
    jti: str,
    call_reference: str,
    phone_number: str | None,
    base_url: str,
    now: float,
    ttl: int,
) -> dict[str, Any]:
    row = {
        "id": room_id,
        "api_key": key,
        "token_jti": jti,
        "call_reference": call_reference,
        "phone_number": phone_number,
        "guest_link": f"{base_url}/guest/{room_id}",
        "created_at": now,
        "expires_at": now + ttl,
    }
    await conn.execute(_MAKE_ROOM, row)
    return row


NOT_ISSUED = NotIssuedWords("auth token", problem="{token} refused: {detail}")


async def _token_row(world: World, auth_token: str) -> Row[Any]:
    """The stored token behind an auth token; 401 unless it is one of ours (expired or not)."""
    try:
        claims = await issued_claims(world.signing, SIGNING_SECRET, auth_token, NOT_ISSUED)
    except NotIssued as refused:
        raise unauthorized(refused.reason) from None
    async with world.store.read() as conn:
        row = (await conn.execute(_TOKEN, {"jti": claims["jti"]})).one_or_none()
    if row is None:
        raise unauthorized("auth token unknown (a reset forgets issued tokens)")
    return row


def _check_not_expired(row: Row[Any], now: float) -> None:
    if row.expires_at <= now:
        raise unauthorized(f"auth token expired at {isoformat(row.expires_at)}")


# --- agent login and guest link --------------------------------------------------


async def _room(conn: Connection, room_id: str) -> Row[Any] | None:
    return (await conn.execute(select(rooms).where(rooms.c.id == room_id))).one_or_none()


async def agent_login(
    world: World, now: float, *, user: str, auth_token: str, base_url: str
) -> Login:
    """Log an agent in with a token (the iframe's `/?user=&token=`).

    Checks, in order: the token is ours (401), its room has not expired (410),
    the token has not expired (401), the agent is registered (403). A token
    bought without a room makes its room at its first login; each login of a
    token that carries a phone number writes one SMS with the guest link.
    """
    token = await _token_row(world, auth_token)
    if token.room_id is not None:
        async with world.store.read() as conn:
            existing = await _room(conn, token.room_id)
        if existing is not None and existing.expires_at <= now:
            raise gone(f"room {existing.id} expired at {isoformat(existing.expires_at)}")
    _check_not_expired(token, now)
    async with world.store.read() as conn:
        query = select(agents).where(agents.c.email_key == user.casefold())
        agent = (await conn.execute(query)).one_or_none()
    if agent is None:
        raise forbidden(f"agent {user[:254]!r} is not in [[agents]]")

    async with world.store.write() as conn:
        room_id = token.room_id
        if room_id is None:
            # The first login makes the room: one conditional UPDATE decides
            # which of several concurrent first logins creates it.
            candidate = _new_room_id()
            claim = (
                update(tokens)
                .where(tokens.c.jti == token.jti, tokens.c.room_id.is_(None))
                .values(room_id=candidate)
                .returning(tokens.c.jti)
            )
            if (await conn.execute(claim)).one_or_none() is not None:
                await _insert_room(
                    conn,
                    room_id=candidate,
                    key=token.api_key,
                    jti=token.jti,
                    call_reference=token.call_reference or _new_call_reference(),
                    phone_number=token.phone_number,
                    base_url=base_url,
                    now=now,
                    ttl=await _room_ttl(conn),
                )
                room_id = candidate
            else:
                query = select(tokens.c.room_id).where(tokens.c.jti == token.jti)
                room_id = (await conn.execute(query)).scalar_one_or_none()
        room = await _room(conn, room_id) if room_id is not None else None
        if room is None:
            # A reset between reading the token and now forgot both.
            raise unauthorized("auth token unknown (a reset forgot it during this login)")
        await conn.execute(
            logins.insert().values(
                token_jti=token.jti, room_id=room.id, agent_email=agent.email, time=now
            )
        )
        if token.phone_number is not None:
            await conn.execute(
                outbox.insert().values(
                    room_id=room.id,
                    to=token.phone_number,
                    body=f"Join the video call: {room.guest_link}",
                    time=now,
                )
            )
        record = (await _call_records(conn, [room], now))[0]
    return Login(agent_email=agent.email, room=record)


async def guest_room(world: World, now: float, room_id: str) -> dict[str, Any]:
    """The room behind a guest link: 404 unknown, 410 from its expiry on."""
    row = None
    if len(room_id) <= MAX_ID_CHARS:
        async with world.store.read() as conn:
            row = await _room(conn, room_id)
    if row is None:
        raise not_found(f"no room {room_id[:MAX_ID_CHARS]!r}")
    if row.expires_at <= now:
        raise gone(f"room {row.id} expired at {isoformat(row.expires_at)}")
    async with world.store.read() as conn:
        return (await _call_records(conn, [row], now))[0]


# --- reporting -------------------------------------------------------------------


async def reporting_caller(world: World, now: float, auth_token: str) -> Row[Any]:
    """The token behind `x-token`: live, ours; its API key is the tenant."""
    token = await _token_row(world, auth_token)
    _check_not_expired(token, now)
    return token


def _status(room: Row[Any], now: float) -> str:
    return "active" if now < room.expires_at else "expired"


async def _call_records(
    conn: Connection, room_rows: Sequence[Row[Any]], now: float
) -> list[dict[str, Any]]:
    """Rooms as call logs, each with its agent logins in order."""
    by_room: dict[str, list[dict[str, str]]] = {row.id: [] for row in room_rows}
    if by_room:
        query = (
            select(logins)
            .where(logins.c.room_id.in_(list(by_room)))
            .order_by(logins.c.time, logins.c.id)
        )
        for login in await conn.execute(query):
            by_room[login.room_id].append(
                {"email": login.agent_email, "time": isoformat(login.time)}
            )
    return [
        {
            "id": row.id,
            "call_reference": row.call_reference,
            "phone_number": row.phone_number,
            "guest_link": row.guest_link,
            "created_at": isoformat(row.created_at),
            "expires_at": isoformat(row.expires_at),
            "status": _status(row, now),
            "agent_logins": by_room[row.id],
        }
        for row in room_rows
    ]


def _instant(name: str, text: str | None) -> float | None:
    if not text:
        return None
    try:
        if len(text) > 64:
            raise ValueError
        return parse_instant(text)
    except (ValueError, OverflowError):
        raise bad_request(
            f"{name} must be an ISO-8601 instant, e.g. 2024-05-01T12:00:00Z",
            f"{name} {text[:64]!r} is not an ISO-8601 instant",
        ) from None


def _limit(text: str | None) -> int:
    if not text:
        return DEFAULT_PAGE_SIZE
    if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_PAGE_SIZE:
        return int(text)
    raise bad_request(
        f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}", f"limit {text[:40]!r} refused"
    )


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")


def _cursor(text: str | None) -> int | None:
    if not text:
        return None
    match = None
    if len(text) <= 64:
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            match = CURSOR.fullmatch(decoded)
        except (binascii.Error, ValueError):
            pass
    if match is None:
        raise bad_request(
            "cursor is not valid: pass next_cursor from the previous page",
            f"cursor {text[:64]!r} was not issued by this emulator",
        )
    return int(match.group(1))


def _matches(record: dict[str, Any], needle: str) -> bool:
    haystack = [record["call_reference"], record["phone_number"] or ""]
    haystack += [login["email"] for login in record["agent_logins"]]
    return any(needle in value.casefold() for value in haystack)


async def call_logs(
    world: World,
    now: float,
    caller: Row[Any],
    *,
    start: str | None,
    end: str | None,
    q: str | None,
    cursor: str | None,
    limit: str | None,
) -> CallPage:
    """The caller's API key's rooms, newest first: `from` <= created_at < `to`, `q` a
    case-insensitive substring of the call reference, phone number or an agent's email."""
    since, until = _instant("from", start), _instant("to", end)
    before, size = _cursor(cursor), _limit(limit)
    conditions = [rooms.c.api_key == caller.api_key]
    if since is not None:
        conditions.append(rooms.c.created_at >= since)
    if until is not None:
        conditions.append(rooms.c.created_at < until)
    if before is not None:
        conditions.append(rooms.c.seq < before)
    query = select(rooms).where(*conditions).order_by(rooms.c.seq.desc())
    needle = q.casefold() if q else None
    if needle is None:
        query = query.limit(size + 1)
    found: list[tuple[int, dict[str, Any]]] = []
    async with world.store.read() as conn:
        # The q filter runs here rather than in SQL so that case folding is
        # Unicode's everywhere (SQLite's lower() folds ASCII only).
        candidates = list(await conn.execute(query))
        for start_at in range(0, len(candidates), 200):
            batch = candidates[start_at : start_at + 200]
            for row, record in zip(batch, await _call_records(conn, batch, now), strict=True):
                if needle is None or _matches(record, needle):
                    found.append((row.seq, record))
            if len(found) > size:
                break
    page = found[:size]
    next_cursor = encode_cursor(page[-1][0]) if len(found) > size else None
    return CallPage(calls=[record for _seq, record in page], next_cursor=next_cursor)


async def call(world: World, now: float, caller: Row[Any], call_id: str) -> dict[str, Any]:
    """One of the caller's API key's rooms; another key's room is 404 too."""
    row = None
    if len(call_id) <= MAX_ID_CHARS:
        async with world.store.read() as conn:
            row = await _room(conn, call_id)
    if row is None:
        raise not_found(f"no call {call_id[:MAX_ID_CHARS]!r}", "Call not found")
    if row.api_key != caller.api_key:
        raise not_found(
            f"call {row.id} was made with another API key than the x-token's", "Call not found"
        )
    async with world.store.read() as conn:
        return (await _call_records(conn, [row], now))[0]


# --- fixtures and state ----------------------------------------------------------


async def seed(conn: Connection, store: Store, fixtures: EightByEightFixtures) -> None:
    await write_settings(conn, store, settings, fixtures)
    await add_fixtures(conn, store, fixtures)


async def add_fixtures(conn: Connection, store: Store, fixtures: EightByEightFixtures) -> None:
    """The entries only: fixtures added at run time leave the file's settings alone."""
    await store.upsert(conn, api_keys, [k.model_dump() for k in fixtures.api_keys])
    await store.upsert(
        conn,
        agents,
        [
            {"email_key": a.email.casefold(), "email": a.email, "name": a.name}
            for a in fixtures.agents
        ],
    )


async def state(conn: Connection, now: float) -> dict[str, Any]:
    names = {row.key: row.name for row in await conn.execute(select(api_keys))}
    token_logins: dict[str, list[dict[str, str]]] = {}
    for login in await conn.execute(select(logins).order_by(logins.c.time, logins.c.id)):
        token_logins.setdefault(login.token_jti, []).append(
            {"email": login.agent_email, "room_id": login.room_id, "time": isoformat(login.time)}
        )
    issued = await conn.execute(select(tokens).order_by(tokens.c.created_at, tokens.c.jti))
    made = await conn.execute(select(rooms).order_by(rooms.c.seq))
    sent = await conn.execute(select(outbox).order_by(outbox.c.id))
    return {
        "room_ttl_seconds": await _room_ttl(conn),
        "api_keys": [
            {"name": name, "key": mask_secret(key)}
            for key, name in sorted(names.items(), key=lambda item: item[1])
        ],
        "agents": [
            {"email": row.email, "name": row.name}
            for row in await conn.execute(select(agents).order_by(agents.c.email_key))
        ],
        "tokens": [
            {
                "jti": row.jti,
                "api_key": names.get(row.api_key, mask_secret(row.api_key)),
                "created_at": isoformat(row.created_at),
                "expires_at": isoformat(row.expires_at),
                "status": "active" if now < row.expires_at else "expired",
                "create_room": row.create_room,
                "room_id": row.room_id,
                "phone_number": row.phone_number,
                "call_reference": row.call_reference,
                "logins": token_logins.get(row.jti, []),
            }
            for row in issued
        ],
        "rooms": [
            {
                "id": row.id,
                "api_key": names.get(row.api_key, mask_secret(row.api_key)),
                "token_jti": row.token_jti,
                "call_reference": row.call_reference,
                "phone_number": row.phone_number,
                "guest_link": row.guest_link,
                "created_at": isoformat(row.created_at),
                "expires_at": isoformat(row.expires_at),
                "status": _status(row, now),
            }
            for row in made
        ],
        "outbox": [
            {"to": row.to, "body": row.body, "time": isoformat(row.time), "room_id": row.room_id}
            for row in sent
        ],
    }


def credentials(fixtures: EightByEightFixtures) -> list[dict[str, str]]:
    """The API keys (Bearer of POST /api/v1/tokens) and the agents who may log in."""
    found = [
        credential("API key", key.key, f"{key.name}; Authorization: Bearer of /api/v1/tokens")
        for key in fixtures.api_keys
    ]
    found += [
        credential(
            "agent email",
            agent.email,
            f"{agent.name + '; ' if agent.name else ''}the agent login's user",
        )
        for agent in fixtures.agents
    ]
    return found
