"""UneeQ's rules: request-JWT verification, single-use tokens, sessions. Never sees a Request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, String, bindparam, or_, select, update

from token_emulator.core.bodies import BodyProblem, json_kind, parse_json
from token_emulator.core.instants import isoformat
from token_emulator.core.randomness import random_uuid
from token_emulator.core.storage import Connection, Store
from token_emulator.core.tokens import (
    TokenProblem,
    check_times,
    opaque_token,
    read_header,
    sign_hmac,
    verify_hmac,
)
from token_emulator.core.vendor import credential, mask_secret
from token_emulator.core.world import World
from token_emulator.vendors.uneeq.errors import bad_request, forbidden, unauthorized
from token_emulator.vendors.uneeq.models import UneeqFixtures
from token_emulator.vendors.uneeq.tables import sessions, tokens, workspaces


@dataclass(frozen=True)
class StartedSession:
    id: str
    auth_token: str


# The hot statements are built once (building one costs more than running it);
# the values go in as parameters.
_WORKSPACE = select(workspaces).where(workspaces.c.id == bindparam("workspace_id"))
_ISSUE = tokens.insert()
_START = sessions.insert()


# Redeeming is one conditional UPDATE, so exactly one caller wins. A workspace or
# region the caller did not name (None) matches any. The parameters are not named
# after the columns: SQLAlchemy takes a parameter named like a column as a value to SET.
_WORKSPACE_NAMED = bindparam("workspace_name", type_=String)
_REGION_NAMED = bindparam("region_name", type_=String)
_REDEEM = (
    update(tokens)
    .where(
        tokens.c.token == bindparam("token_id"),
        tokens.c.redeemed_at.is_(None),
        tokens.c.expires_at > bindparam("at"),
        or_(_WORKSPACE_NAMED.is_(None), tokens.c.workspace_id == _WORKSPACE_NAMED),
        or_(_REGION_NAMED.is_(None), tokens.c.region == _REGION_NAMED),
    )
    .values(redeemed_at=bindparam("at"), session_id=bindparam("new_session"))
    .returning(tokens.c.workspace_id, tokens.c.sid, tokens.c.custom_data)
)


async def _workspace(world: World, workspace_id: str) -> Row[Any] | None:
    row: Row[Any] | None = await world.store.fixture_row(_WORKSPACE, workspace_id=workspace_id)
    return row


def _string_claim(claims: dict[str, Any], name: str) -> str:
    if name not in claims:
        raise bad_request(f"claim {name} missing")
    value = claims[name]
    if not isinstance(value, str):
        raise bad_request(f"claim {name} must be a string, got {json_kind(value)}")
    return value


async def issue_token(
    world: World, now: float, *, region: str | None, workspace_id: str, request_jwt: str
) -> str:
    """Verify the customer's request JWT and mint a single-use token."""
    try:
        read_header(request_jwt)
    except TokenProblem as problem:
        raise bad_request(f"body is {problem.detail}") from None

    workspace = await _workspace(world, workspace_id)
    if workspace is None:
        raise forbidden(f"unknown workspace {workspace_id!r}")
    if region is not None and workspace.region != region:
        raise forbidden(f"workspace {workspace_id!r} is in region {workspace.region}, not {region}")

    try:
        claims = verify_hmac(request_jwt, workspace.secret, "HS256").claims
    except TokenProblem as problem:
        if problem.kind == "signature":
            raise unauthorized(
                f"signature does not verify with workspace {workspace_id}'s secret"
            ) from None
        if problem.kind == "algorithm":
            raise unauthorized(problem.detail) from None
        raise bad_request(f"body is {problem.detail}") from None

    sid = _string_claim(claims, "sid")
    claimed_workspace = _string_claim(claims, "fm-workspace")
    custom_data = claims.get("fm-custom-data")
    if custom_data is not None:
        if not isinstance(custom_data, str):
            raise bad_request(
                f"claim fm-custom-data must be a string holding JSON, got {json_kind(custom_data)}"
            )
        try:
            parse_json(custom_data, "claim fm-custom-data")
        except BodyProblem as problem:
            raise bad_request(str(problem)) from None
    try:
        # UneeQ documents no time claims; those a client does send must hold.
        check_times(claims, now)
    except TokenProblem as problem:
        if problem.kind == "claims":
            raise bad_request(problem.detail) from None
        raise unauthorized(f"request JWT {problem.detail}") from None
    if claimed_workspace != workspace_id:
        raise forbidden(f"fm-workspace {claimed_workspace!r} differs from header {workspace_id!r}")

    token = opaque_token()
    async with world.store.write() as conn:
        await conn.execute(
            _ISSUE,
            {
                "token": token,
                "workspace_id": workspace_id,
                "region": workspace.region,
                "sid": sid,
                "custom_data": custom_data,
                "issued_at": now,
                "expires_at": now + workspace.token_ttl_seconds,
            },
        )
    return token


async def start_session(
    world: World,
    now: float,
    *,
    region: str | None,
    token_id: str | None,
    workspace_name: str | None,
    client: dict[str, Any],
) -> StartedSession:
    """Redeem a single-use token: one conditional UPDATE, so exactly one caller wins."""
    if not token_id:
        # uneeq-js treats a 401 as "logged out", the right outcome for no token at all.
        raise unauthorized("no tokenId in the body")
    session = StartedSession(id=random_uuid(), auth_token=opaque_token())
    values = {
        "token_id": token_id,
        "at": now,
        "new_session": session.id,
        "workspace_name": workspace_name,
        "region_name": region,
    }
    async with world.store.write() as conn:
        won = (await conn.execute(_REDEEM, values)).one_or_none()
        if won is not None:
            await conn.execute(
                _START,
                {
                    "id": session.id,
                    "workspace_id": won.workspace_id,
                    "token": token_id,
                    "sid": won.sid,
                    "custom_data": won.custom_data,
                    "started_at": now,
                    "auth_token": session.auth_token,
                    "client": json.dumps(client),
                },
            )
    if won is None:
        raise unauthorized(await _why_not_redeemable(world, now, token_id, workspace_name, region))
    return session


async def _why_not_redeemable(
    world: World, now: float, token_id: str, workspace_name: str | None, region: str | None
) -> str:
    async with world.store.read() as conn:
        row = (await conn.execute(select(tokens).where(tokens.c.token == token_id))).one_or_none()
    if row is None:
        return "unknown token"
    if row.redeemed_at is not None:
        return f"token already redeemed at {isoformat(row.redeemed_at)} (session {row.session_id})"
    if row.expires_at <= now:
        return f"token expired at {isoformat(row.expires_at)}"
    if workspace_name is not None and row.workspace_id != workspace_name:
        return f"token was issued for workspace {row.workspace_id!r}, not {workspace_name!r}"
    if region is not None and row.region != region:
        return f"token was issued in region {row.region}, not {region}"
    return "token could not be redeemed"


async def session_jwt(world: World, now: float, *, session_id: str, persona_id: str) -> str:
    """The HS256 JWT over the session id that uneeq-js asks for after a start."""
    async with world.store.read() as conn:
        query = (
            select(sessions.c.id, workspaces.c.secret)
            .join(workspaces, workspaces.c.id == sessions.c.workspace_id)
            .where(sessions.c.id == session_id, sessions.c.workspace_id == persona_id)
        )
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise unauthorized(f"no session {session_id!r} for persona {persona_id!r}")
    return sign_hmac({"sessionId": row.id, "iat": int(now)}, row.secret)


async def seed(conn: Connection, store: Store, fixtures: UneeqFixtures) -> None:
    await store.upsert(conn, workspaces, [w.model_dump() for w in fixtures.workspaces])


async def state(conn: Connection, now: float) -> dict[str, Any]:
    def rows(table_rows: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in table_rows]

    ws = rows(await conn.execute(select(workspaces).order_by(workspaces.c.id)))
    for workspace in ws:
        workspace["secret"] = mask_secret(workspace["secret"])
    issued = rows(await conn.execute(select(tokens).order_by(tokens.c.issued_at)))
    for token in issued:
        if token["redeemed_at"] is not None:
            token["status"] = "redeemed"
        else:
            token["status"] = "expired" if token["expires_at"] <= now else "active"
        for stamp in ("issued_at", "expires_at", "redeemed_at"):
            if token[stamp] is not None:
                token[stamp] = isoformat(token[stamp])
    started = rows(await conn.execute(select(sessions).order_by(sessions.c.started_at)))
    for session in started:
        session["started_at"] = isoformat(session["started_at"])
        session["client"] = json.loads(session["client"])
    return {"workspaces": ws, "tokens": issued, "sessions": started}


def credentials(fixtures: UneeqFixtures) -> list[dict[str, str]]:
    """Each workspace's id and the secret that signs its request JWTs (test-only)."""
    found = []
    for w in fixtures.workspaces:
        about = f"{w.name}; " if w.name else ""
        found.append(
            credential(
                "workspace",
                w.id,
                f"{about}region {w.region}; the workspace header and fm-workspace claim",
            )
        )
        found.append(credential("secret", w.secret, f"of {w.id}: signs its request JWTs (HS256)"))
    return found
