"""Unifize's rules: RS256 client assertions, access tokens, chatrooms. Never sees a Request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select

from token_emulator.core.bodies import json_kind
from token_emulator.core.instants import isoformat
from token_emulator.core.randomness import ordered_id
from token_emulator.core.signing import NotIssued, NotIssuedWords, issued_claims, too_long
from token_emulator.core.storage import Connection, Store
from token_emulator.core.tokens import (
    TokenProblem,
    check_times,
    read_unverified,
    sign_hmac,
    verify_rsa,
)
from token_emulator.core.vendor import credential
from token_emulator.core.world import World
from token_emulator.vendors.unifize.client import DEMO_PRIVATE_KEY_FILE
from token_emulator.vendors.unifize.errors import bad_request, forbidden, not_found, unauthorized
from token_emulator.vendors.unifize.models import CHATROOM_READ, UnifizeFixtures, chatroom_record
from token_emulator.vendors.unifize.tables import access_tokens, apps, chatrooms, orgs

ASSERTION_WINDOW_SECONDS = 600  # exp - iat, as docs/vendors/unifize.md sets it
SIGNING_SECRET = "unifize-access-tokens"  # the name of the emulator's HS256 secret
ISSUER = "token-emulator/unifize"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: float


@dataclass(frozen=True)
class Caller:
    """Who an access token speaks for."""

    app_id: int
    org_id: int
    bot_uid: str
    permissions: list[str]
    expires_at: float


NOT_ISSUED = NotIssuedWords("access token")


def parse_id(text: str) -> int | None:
    """An id as written in a path or `iss`: plain ASCII digits, no leading zero, 64-bit."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None  # checked before int(): Python refuses to parse huge digit strings
    number = int(text)
    return number if str(number) == text else None


def _integer_claim(claims: dict[str, Any], name: str) -> int:
    if name not in claims:
        raise unauthorized(f"assertion claim {name} missing")
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise unauthorized(f"assertion claim {name} must be an integer, got {json_kind(value)}")
    return value


# The hot statements are built once (building one costs more than running it).
_APP = select(apps).where(apps.c.id == bindparam("app_id"))
_ISSUE = access_tokens.insert()
_CALLER = (
    select(access_tokens, apps.c.bot_uid, apps.c.permissions)
    .join(apps, apps.c.id == access_tokens.c.app_id)
    .where(access_tokens.c.jti == bindparam("jti"))
)


async def _app(world: World, app_id: int) -> Row[Any] | None:
    row: Row[Any] | None = await world.store.fixture_row(_APP, app_id=app_id)
    return row


async def issue_access_token(
    world: World, now: float, *, assertion: str, org_id: int | None
) -> IssuedToken:
    """Check a client assertion (docs/vendors/unifize.md) and mint an access token for the
    app's bot."""
    if (why := too_long(assertion)) is not None:
        raise unauthorized(f"assertion is {why}")
    try:
        unverified = read_unverified(assertion)
    except TokenProblem as problem:
        raise unauthorized(f"assertion is {problem.detail}") from None
    alg = unverified.header.get("alg")
    if alg != "RS256":
        raise unauthorized(f"assertion alg {alg!r} refused: only RS256 is accepted")

    iss = unverified.claims.get("iss")
    if iss is None:
        raise unauthorized("assertion claim iss missing")
    if not isinstance(iss, str):
        raise unauthorized(
            f"assertion claim iss must be a string holding the app id, got {json_kind(iss)}"
        )
    app_id = parse_id(iss)
    app = await _app(world, app_id) if app_id is not None else None
    if app is None:
        raise unauthorized(f"iss {iss!r} names no registered app")

    keys = json.loads(app.public_keys)
    try:
        claims = verify_rsa(assertion, keys).claims
    except TokenProblem as problem:
        if problem.kind == "signature":
            raise unauthorized(
                f"signature does not verify with any of app {app.id}'s {len(keys)} registered keys"
            ) from None
        raise unauthorized(f"assertion is {problem.detail}") from None

    issued_at = _integer_claim(claims, "iat")
    expires = _integer_claim(claims, "exp")
    try:
        check_times(claims, now)
    except TokenProblem as problem:
        raise unauthorized(f"assertion {problem.detail}") from None
    if not 0 < expires - issued_at <= ASSERTION_WINDOW_SECONDS:
        raise unauthorized(
            f"assertion window exp - iat is {expires - issued_at} s, "
            f"not 1 to {ASSERTION_WINDOW_SECONDS}"
        )

    target_org = app.org_id if org_id is None else org_id
    if target_org not in json.loads(app.installed_in):
        raise forbidden(f"app {app.id} is not installed in org {target_org}")

    jti = ordered_id(now)
    expires_at = now + app.access_token_ttl_seconds
    async with world.store.write() as conn:
        await conn.execute(
            _ISSUE,
            {
                "jti": jti,
                "app_id": app.id,
                "org_id": target_org,
                "issued_at": now,
                "expires_at": expires_at,
            },
        )
    claims = {
        "iss": ISSUER,
        "sub": app.bot_uid,
        "appId": app.id,
        "orgId": target_org,
        "iat": int(now),
        "exp": int(expires_at),
        "jti": jti,
    }
    token = sign_hmac(claims, await world.signing.get(SIGNING_SECRET))
    return IssuedToken(access_token=token, expires_at=expires_at)


async def authenticate(world: World, now: float, access_token: str) -> Caller:
    """The caller behind an access token; 401 for anything but a live one of ours."""
    try:
        claims = await issued_claims(world.signing, SIGNING_SECRET, access_token, NOT_ISSUED)
    except NotIssued as refused:
        raise unauthorized(refused.reason) from None
    async with world.store.read() as conn:
        row = (await conn.execute(_CALLER, {"jti": claims["jti"]})).one_or_none()
    if row is None:
        raise unauthorized("access token unknown (a reset forgets issued tokens)")
    if row.expires_at <= now:
        raise unauthorized(f"access token expired at {isoformat(row.expires_at)}")
    return Caller(
        app_id=row.app_id,
        org_id=row.org_id,
        bot_uid=row.bot_uid,
        permissions=json.loads(row.permissions),
        expires_at=row.expires_at,
    )


async def token_info(world: World, now: float, token: Any) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise bad_request("body needs a token string")
    caller = await authenticate(world, now, token)
    return {
        "uid": caller.bot_uid,
        "appId": caller.app_id,
        "expiry": int(caller.expires_at * 1000),
        "orgId": caller.org_id,
    }


def _require(caller: Caller, permission: str) -> None:
    if permission not in caller.permissions:
        raise forbidden(f"app {caller.app_id} lacks the {permission} permission")


async def list_chatrooms(world: World, now: float, access_token: str) -> list[dict[str, Any]]:
    caller = await authenticate(world, now, access_token)
    _require(caller, CHATROOM_READ)
    async with world.store.read() as conn:
        query = (
            select(chatrooms.c.record)
            .where(chatrooms.c.org_id == caller.org_id)
            .order_by(chatrooms.c.id)
        )
        return [json.loads(record) for record in (await conn.scalars(query))]


async def get_chatroom(world: World, now: float, access_token: str, room: str) -> dict[str, Any]:
    """`room` as the path gives it: only a plain number can name a chatroom."""
    caller = await authenticate(world, now, access_token)
    _require(caller, CHATROOM_READ)
    room_id, row = parse_id(room), None
    if room_id is not None:
        async with world.store.read() as conn:
            query = select(chatrooms.c.org_id, chatrooms.c.record).where(chatrooms.c.id == room_id)
            row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise not_found(f"no chatroom {room[:40]!r}")
    if row.org_id != caller.org_id:
        raise not_found(f"chatroom {room_id} belongs to org {row.org_id}, not {caller.org_id}")
    record: dict[str, Any] = json.loads(row.record)
    return record


async def seed(conn: Connection, store: Store, fixtures: UnifizeFixtures) -> None:
    await store.upsert(conn, orgs, [org.model_dump() for org in fixtures.orgs])
    await store.upsert(
        conn,
        apps,
        [
            {
                "id": app.id,
                "name": app.name,
                "org_id": app.org_id,
                "bot_uid": app.bot_uid,
                "public_keys": json.dumps(app.registered_keys),
                "permissions": json.dumps(app.permissions),
                "installed_in": json.dumps(app.installed_in),
                "access_token_ttl_seconds": app.access_token_ttl_seconds,
            }
            for app in fixtures.apps
        ],
    )
    await store.upsert(
        conn,
        chatrooms,
        [
            {"id": room.id, "org_id": room.org_id, "record": json.dumps(chatroom_record(room))}
            for room in fixtures.chatrooms
        ],
    )


async def state(conn: Connection, now: float) -> dict[str, Any]:
    issued: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.execute(select(access_tokens).order_by(access_tokens.c.issued_at)):
        issued.setdefault(row.app_id, []).append(
            {
                "jti": row.jti,
                "org_id": row.org_id,
                "issued_at": isoformat(row.issued_at),
                "expires_at": isoformat(row.expires_at),
                "status": "expired" if row.expires_at <= now else "active",
            }
        )
    app_rows = await conn.execute(select(apps).order_by(apps.c.id))
    return {
        "orgs": [dict(r._mapping) for r in await conn.execute(select(orgs).order_by(orgs.c.id))],
        "apps": [
            {
                "id": app.id,
                "name": app.name,
                "org_id": app.org_id,
                "bot_uid": app.bot_uid,
                "installed_in": json.loads(app.installed_in),
                "permissions": json.loads(app.permissions),
                "public_keys": len(json.loads(app.public_keys)),
                "access_token_ttl_seconds": app.access_token_ttl_seconds,
                "tokens": issued.get(app.id, []),
            }
            for app in app_rows
        ],
        "chatrooms": [
            json.loads(record)
            for record in await conn.scalars(select(chatrooms.c.record).order_by(chatrooms.c.id))
        ],
    }


def credentials(fixtures: UnifizeFixtures) -> list[dict[str, str]]:
    """Each app id (the assertion's iss) and the default fixtures' demo private key."""
    found = []
    for app in fixtures.apps:
        about = f"{app.name}; " if app.name else ""
        permissions = ", ".join(app.permissions) or "none"
        keys = len(app.registered_keys)
        found.append(
            credential(
                "app id",
                str(app.id),
                f"{about}org {app.org_id}; permissions {permissions}; "
                f"{keys} public key{'s' if keys != 1 else ''}; the assertion's iss",
            )
        )
    if fixtures.apps:
        found.append(
            credential(
                "demo private key file",
                DEMO_PRIVATE_KEY_FILE,
                "test-only, in the default fixture directory, for apps registered with "
                "unifize-demo-app.public.pem; token_emulator.testing.unifize_assertion() "
                "signs with it",
            )
        )
    return found
