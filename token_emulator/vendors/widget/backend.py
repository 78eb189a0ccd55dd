"""Kataven widget's rules: client keys and their allowlists, visitor tokens, sessions.

Never sees a Request. Two token kinds, both HS256 JWTs signed with secrets
kept in the store (one secret per kind, so neither passes for the other):

- a visitor token (guest or user-token, 5 minutes), exchanged once for
- a session JWT, refreshed into a new one while valid or within the grace
  window after expiry. Each refresh spends the presented session; presenting
  a spent one again is reuse and revokes its whole chain (OAuth 2.0
  Security BCP, refresh token rotation).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from token_emulator.core.bodies import json_kind
from token_emulator.core.instants import isoformat
from token_emulator.core.randomness import ordered_id
from token_emulator.core.settings_row import SETTINGS_ROW, write_settings
from token_emulator.core.storage import Connection, Store
from token_emulator.core.tokens import TokenProblem, opaque_token, sign_hmac, verify_hmac
from token_emulator.core.vendor import credential, mask_secret
from token_emulator.core.world import World
from token_emulator.vendors.widget.errors import (
    AGENT_REFUSED,
    BAD_AGENT_ID,
    BAD_API_KEY,
    BAD_REFRESH,
    BAD_TOKEN,
    CONFIG_ORIGIN_REFUSED,
    GUEST_DISABLED,
    MISSING_CLIENT_KEY,
    MISSING_USER,
    ORIGIN_REFUSED,
    USER_DISABLED,
    refuse,
)
from token_emulator.vendors.widget.models import (
    MAX_KEY_CHARS,
    WidgetFixtures,
    branding_json,
    secret_key_hash,
)
from token_emulator.vendors.widget.origins import (
    AllowEntry,
    OriginHeaders,
    OriginProblem,
    allowed,
    parse_allowlist,
    request_origin,
)
from token_emulator.vendors.widget.tables import (
    accounts,
    agents,
    client_keys,
    secret_keys,
    sessions,
    settings,
    visitor_tokens,
)

VISITOR_SECRET = "widget-visitor-tokens"  # names of the emulator's HS256 secrets
SESSION_SECRET = "widget-session-tokens"
ISSUER = "token-emulator/widget"
MAX_TOKEN_CHARS = 8 * 1024  # longer tokens are refused unread
MAX_FIELD_CHARS = 256  # user_id, display_name; email gets 320 (RFC 5321's limit)
MAX_EMAIL_CHARS = 320


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: float
    expires_in: int


@dataclass(frozen=True)
class Lifetimes:
    visitor: int
    session: int
    grace: int


# --- lookups -----------------------------------------------------------------


# The hot statements are built once (building one costs more than running it).
# Parameter names differ from the columns': an UPDATE would set a column whose
# name a parameter shares.
_LIFETIMES = select(settings).where(settings.c.id == SETTINGS_ROW)
_CLIENT_KEY = (
    select(
        client_keys.c.key,
        client_keys.c.account,
        client_keys.c.agent_id,
        client_keys.c.allowlist,
        agents.c.display_name,
        agents.c.auth_mode,
        agents.c.branding,
    )
    .join(agents, agents.c.id == client_keys.c.agent_id)
    .where(client_keys.c.key == bindparam("key"))
)
_MINT_VISITOR = visitor_tokens.insert()
_START_SESSION = sessions.insert()
# An UPDATE's parameters are not named after its table's columns: SQLAlchemy takes a
# parameter named like a column as a value to SET.
_SPEND_VISITOR = (
    update(visitor_tokens)
    .where(
        visitor_tokens.c.jti == bindparam("presented_jti"),
        visitor_tokens.c.exchanged_at.is_(None),
        visitor_tokens.c.expires_at > bindparam("at"),
        visitor_tokens.c.client_key == bindparam("presented_key"),
    )
    .values(exchanged_at=bindparam("at"), session_jti=bindparam("new_jti"))
    .returning(visitor_tokens.c.identity)
)
_SPEND_SESSION = (
    update(sessions)
    .where(
        sessions.c.jti == bindparam("presented_jti"),
        sessions.c.refreshed_at.is_(None),
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > bindparam("oldest_expiry"),
    )
    .values(refreshed_at=bindparam("at"), child_jti=bindparam("new_jti"))
    .returning(sessions.c.chain, sessions.c.visitor_jti, sessions.c.client_key, sessions.c.identity)
)


async def _lifetimes(world: World) -> Lifetimes:
    row = await world.store.fixture_row(_LIFETIMES)
    if row is None:  # no widget.toml was ever seeded: the defaults
        defaults = WidgetFixtures()
        return Lifetimes(
            defaults.visitor_token_ttl_seconds,
            defaults.session_ttl_seconds,
            defaults.refresh_grace_seconds,
        )
    return Lifetimes(
        row.visitor_token_ttl_seconds, row.session_ttl_seconds, row.refresh_grace_seconds
    )


async def _client_key(world: World, key: str) -> Row[Any] | None:
    """The client key with its agent; None when no such key is registered."""
    row: Row[Any] | None = await world.store.fixture_row(_CLIENT_KEY, key=key)
    return row


def _text(value: Any) -> str | None:
    """The field as a non-empty string, or None when absent, empty or not a string."""
    return value if isinstance(value, str) and value else None


def _missing(name: str, value: Any) -> str:
    """The journal's reason for a field that is not a non-empty string."""
    if value is None:
        return f"no {name}"
    if value == "":
        return f"{name} is empty"
    return f"{name} is {json_kind(value)}, not a string"


async def _registered_key(world: World, value: Any, message: str) -> Row[Any]:
    """`value` must name a registered client key; a key that names none counts as
    missing: 400 with the route's `message`."""
    key = _text(value)
    if key is None:
        raise refuse(400, message, _missing("client_key", value))
    row = await _client_key(world, key) if len(key) <= MAX_KEY_CHARS else None
    if row is None:
        raise refuse(400, message, f"client_key {key[:16] + '...'!r} is not registered")
    return row


@functools.lru_cache(maxsize=256)
def _allowlist(stored: str) -> tuple[AllowEntry, ...]:
    # Parsed at fixture load already; cached, since every browser call re-reads it.
    return parse_allowlist(json.loads(stored))


def _check_origin(key: Row[Any], headers: OriginHeaders, message: str) -> None:
    try:
        entries = _allowlist(key.allowlist)
    except OriginProblem as problem:
        raise refuse(403, message, f"client key {key.key}'s allowlist: {problem}") from None
    if not entries:
        raise refuse(403, message, f"client key {key.key} has an empty allowlist: blocked")
    try:
        origin = request_origin(headers)
    except OriginProblem as problem:
        raise refuse(403, message, f"{problem} (client key {key.key})") from None
    if not allowed(entries, origin):
        written = [entry.text for entry in entries]
        seen = f"Origin {origin}"
        if origin.source != "Origin":
            seen = f"origin {origin} (from {origin.source})"
        raise refuse(
            403, message, f"{seen} matches no entry of client key {key.key}'s allowlist {written}"
        )


# --- config --------------------------------------------------------------------


async def config(
    world: World, *, client_key: Sequence[str], headers: OriginHeaders
) -> dict[str, Any]:
    """The bootstrap config of `GET /config`; `client_key` holds every query value given."""
    if len(client_key) > 1:
        raise refuse(400, MISSING_CLIENT_KEY, f"client_key given {len(client_key)} times")
    key = await _registered_key(world, client_key[0] if client_key else None, MISSING_CLIENT_KEY)
    _check_origin(key, headers, CONFIG_ORIGIN_REFUSED)
    return {
        "client_key": key.key,
        "account": key.account,
        "agent_id": key.agent_id,
        "display_name": key.display_name,
        "auth_mode": key.auth_mode,
        "branding": json.loads(key.branding),
    }


# --- visitor tokens ------------------------------------------------------------


async def guest_token(
    world: World, now: float, *, body: dict[str, Any], headers: OriginHeaders
) -> Issued:
    key = await _registered_key(world, body.get("client_key"), MISSING_CLIENT_KEY)
    _check_origin(key, headers, ORIGIN_REFUSED)
    agent_id = body.get("agent_id")
    if agent_id is not None:
        if _text(agent_id) is None:
            raise refuse(400, BAD_AGENT_ID, _missing("agent_id", agent_id))
        if agent_id != key.agent_id:
            raise refuse(
                403,
                AGENT_REFUSED,
                f"agent_id {agent_id[:80]!r} is not client key {key.key}'s agent {key.agent_id!r}",
            )
    if key.auth_mode == "user":
        raise refuse(403, GUEST_DISABLED, f"agent {key.agent_id!r} has auth_mode 'user'")
    visitor_id = f"guest_{opaque_token(12)}"
    return await _mint_visitor(world, now, key, {"sub": visitor_id, "kind": "guest"})


async def authenticate_secret(world: World, api_key: str) -> str:
    """The account a secret key belongs to; 401 unless it is a registered sk_live_ key."""
    if api_key.startswith("pk_live_"):
        raise refuse(401, BAD_API_KEY, "Bearer carries a pk_live_ client key, not a secret key")
    digest = secret_key_hash(api_key)
    async with world.store.read() as conn:
        query = select(secret_keys.c.account).where(secret_keys.c.key_sha256 == digest)
        account: str | None = (await conn.execute(query)).scalar_one_or_none()
    if account is None:
        raise refuse(401, BAD_API_KEY, f"no secret key has SHA-256 {digest[:8]}…")
    return account


def _optional_text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise refuse(400, MISSING_USER, f"{name} must be a string of at most {limit} characters")
    return value


def _user_id(body: dict[str, Any]) -> str:
    # The page names user_id; the vendor's guide external_user_id (docs/vendors/widget.md).
    user_id, external = body.get("user_id"), body.get("external_user_id")
    if user_id is None:
        user_id = external
    elif external is not None and external != user_id:
        raise refuse(400, MISSING_USER, "user_id and external_user_id differ")
    text = _text(user_id)
    if text is None:
        raise refuse(400, MISSING_USER, _missing("user_id", user_id))
    if len(text) > MAX_FIELD_CHARS:
        raise refuse(400, MISSING_USER, f"user_id is over {MAX_FIELD_CHARS} characters")
    return text


async def user_token(world: World, now: float, *, account: str, body: dict[str, Any]) -> Issued:
    """Server-to-server: the caller proved `account` with its secret key. No Origin check."""
    if _text(body.get("client_key")) is None:
        raise refuse(400, MISSING_USER, _missing("client_key", body.get("client_key")))
    user_id = _user_id(body)
    display_name = _optional_text(body, "display_name", MAX_FIELD_CHARS)
    email = _optional_text(body, "email", MAX_EMAIL_CHARS)
    key = await _registered_key(world, body["client_key"], MISSING_USER)
    if key.account != account:
        raise refuse(
            401,
            BAD_API_KEY,
            f"secret key of account {account!r} used for client key {key.key} "
            f"of account {key.account!r}",
        )
    if key.auth_mode == "guest":
        raise refuse(403, USER_DISABLED, f"agent {key.agent_id!r} has auth_mode 'guest'")
    identity: dict[str, Any] = {"sub": user_id, "kind": "user", "user_id": user_id}
    if display_name is not None:
        identity["display_name"] = display_name
    if email is not None:
        identity["email"] = email
    return await _mint_visitor(world, now, key, identity)


async def _mint_visitor(
    world: World, now: float, key: Row[Any], identity: dict[str, Any]
) -> Issued:
    ttl = (await _lifetimes(world)).visitor
    full = {
        "sub": identity["sub"],
        "account": key.account,
        "agent_id": key.agent_id,
        "client_key": key.key,
        **identity,
    }
    jti = ordered_id(now)
    async with world.store.write() as conn:
        await conn.execute(
            _MINT_VISITOR,
            {
                "jti": jti,
                "kind": identity["kind"],
                "account": key.account,
                "agent_id": key.agent_id,
                "client_key": key.key,
                "subject": identity["sub"],
                "identity": json.dumps(full),
                "issued_at": now,
                "expires_at": now + ttl,
            },
        )
    secret = await world.signing.get(VISITOR_SECRET)
    return Issued(_sign(full, "visitor", jti, now, now + ttl, secret), now + ttl, ttl)


def _sign(
    identity: dict[str, Any], use: str, jti: str, now: float, expires_at: float, secret: str
) -> str:
    claims = {
        "iss": ISSUER,
        **identity,
        "token_use": use,
        "iat": int(now),
        "exp": int(expires_at),
        "jti": jti,
    }
    return sign_hmac(claims, secret)


def _presented_jti(token: Any, secret: str, use: str, field: str, message: str) -> str:
    """The jti of a token we signed for `use`; the store decides whether it still counts."""
    if _text(token) is None:
        raise refuse(400, message, _missing(field, token))
    if len(token) > MAX_TOKEN_CHARS:
        raise refuse(400, message, f"{field} is {len(token)} characters, over the limit")
    try:
        claims = verify_hmac(token, secret).claims
    except TokenProblem as problem:
        if problem.kind == "signature":
            raise refuse(400, message, f"{field} is not a {use} token issued here") from None
        if problem.kind == "algorithm":
            raise refuse(400, message, f"{field}: {problem.detail}") from None
        raise refuse(400, message, f"{field} is {problem.detail}") from None
    if claims.get("token_use") != use:
        raise refuse(400, message, f"{field} is not a {use} token")
    jti = claims.get("jti")
    if not isinstance(jti, str):
        raise refuse(400, message, f"{field} has no jti")
    return jti


# --- sessions -------------------------------------------------------------------


async def exchange(
    world: World, now: float, *, body: dict[str, Any], headers: OriginHeaders
) -> Issued:
    """Visitor token in, session JWT out: one conditional UPDATE spends the visitor token."""
    token = body.get("token")
    key = await _registered_key(world, body.get("client_key"), BAD_TOKEN)
    _check_origin(key, headers, ORIGIN_REFUSED)
    jti = _presented_jti(
        token, await world.signing.get(VISITOR_SECRET), "visitor", "token", BAD_TOKEN
    )
    ttl = (await _lifetimes(world)).session
    session_jti = ordered_id(now)
    spend = {"presented_jti": jti, "at": now, "presented_key": key.key, "new_jti": session_jti}
    async with world.store.write() as conn:
        won = (await conn.execute(_SPEND_VISITOR, spend)).one_or_none()
        if won is not None:
            await conn.execute(
                _START_SESSION,
                {
                    "jti": session_jti,
                    "chain": session_jti,
                    "parent_jti": None,
                    "visitor_jti": jti,
                    "client_key": key.key,
                    "identity": won.identity,
                    "issued_at": now,
                    "expires_at": now + ttl,
                },
            )
    if won is None:
        raise refuse(400, BAD_TOKEN, await _why_not_exchangeable(world, now, jti, key.key))
    secret = await world.signing.get(SESSION_SECRET)
    token_out = _sign(json.loads(won.identity), "session", session_jti, now, now + ttl, secret)
    return Issued(token_out, now + ttl, ttl)


async def _why_not_exchangeable(world: World, now: float, jti: str, key: str) -> str:
    async with world.store.read() as conn:
        query = select(visitor_tokens).where(visitor_tokens.c.jti == jti)
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        return "visitor token unknown (a reset forgets issued tokens)"
    if row.exchanged_at is not None:
        return (
            f"visitor token already exchanged at {isoformat(row.exchanged_at)} "
            f"(session {row.session_jti})"
        )
    if row.expires_at <= now:
        return f"visitor token expired at {isoformat(row.expires_at)}"
    if row.client_key != key:
        return f"visitor token was minted for client key {row.client_key}, not {key}"
    return "visitor token could not be exchanged"


async def refresh(world: World, now: float, *, body: dict[str, Any]) -> Issued:
    """A new session JWT for one still valid or within the grace window; each is spent once."""
    secret = await world.signing.get(SESSION_SECRET)
    jti = _presented_jti(body.get("refresh_token"), secret, "session", "refresh_token", BAD_REFRESH)
    lifetimes = await _lifetimes(world)
    child_jti = ordered_id(now)
    spend = {
        "presented_jti": jti,
        "oldest_expiry": now - lifetimes.grace,
        "at": now,
        "new_jti": child_jti,
    }
    async with world.store.write() as conn:
        won = (await conn.execute(_SPEND_SESSION, spend)).one_or_none()
        if won is not None:
            await conn.execute(
                _START_SESSION,
                {
                    "jti": child_jti,
                    "chain": won.chain,
                    "parent_jti": jti,
                    "visitor_jti": won.visitor_jti,
                    "client_key": won.client_key,
                    "identity": won.identity,
                    "issued_at": now,
                    "expires_at": now + lifetimes.session,
                },
            )
    if won is None:
        raise refuse(400, BAD_REFRESH, await _refuse_refresh(world, now, jti, lifetimes.grace))
    expires_at = now + lifetimes.session
    token = _sign(json.loads(won.identity), "session", child_jti, now, expires_at, secret)
    return Issued(token, expires_at, lifetimes.session)


async def _refuse_refresh(world: World, now: float, jti: str, grace: int) -> str:
    """Why a refresh failed; a session refreshed before is reuse, and revokes its chain."""
    async with world.store.write() as conn:
        row = (await conn.execute(select(sessions).where(sessions.c.jti == jti))).one_or_none()
        if row is None:
            return "session unknown (a reset forgets sessions)"
        if row.revoked_at is not None:
            return f"session revoked at {isoformat(row.revoked_at)}: {row.revoked_reason}"
        if row.refreshed_at is not None:
            why = f"reuse of session {jti}, already refreshed at {isoformat(row.refreshed_at)}"
            revoke = (
                update(sessions)
                .where(sessions.c.chain == row.chain, sessions.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=why)
            )
            revoked = (await conn.execute(revoke)).rowcount
            return f"{why} into {row.child_jti}: chain {row.chain} revoked ({revoked} sessions)"
    return f"session expired at {isoformat(row.expires_at)}, beyond the {grace} s refresh grace"


# --- fixtures and state ------------------------------------------------------------


async def seed(conn: Connection, store: Store, fixtures: WidgetFixtures) -> None:
    await write_settings(conn, store, settings, fixtures)
    await add_fixtures(conn, store, fixtures)


async def add_fixtures(conn: Connection, store: Store, fixtures: WidgetFixtures) -> None:
    """The entries only: fixtures added at run time leave the file's lifetimes alone."""
    await store.upsert(conn, accounts, [a.model_dump() for a in fixtures.accounts])
    await store.upsert(
        conn,
        agents,
        [
            {
                "id": agent.id,
                "account": agent.account,
                "display_name": agent.display_name,
                "auth_mode": agent.auth_mode,
                "branding": json.dumps(branding_json(agent)),
            }
            for agent in fixtures.agents
        ],
    )
    await store.upsert(
        conn,
        client_keys,
        [
            {
                "key": client.key,
                "account": client.account,
                "agent_id": client.agent_id,
                "allowlist": json.dumps(client.allowlist),
            }
            for client in fixtures.client_keys
        ],
    )
    # Hashed here: the store never holds a secret key in clear.
    await store.upsert(
        conn,
        secret_keys,
        [
            {"key_sha256": secret_key_hash(s.key), "account": s.account, "name": s.name}
            for s in fixtures.secret_keys
        ],
    )


def _stamp(instant: float | None) -> str | None:
    return None if instant is None else isoformat(instant)


async def state(conn: Connection, now: float) -> dict[str, Any]:
    lifetimes = (await conn.execute(select(settings))).one_or_none()
    agent_rows = await conn.execute(select(agents).order_by(agents.c.id))
    key_rows = await conn.execute(select(client_keys).order_by(client_keys.c.key))
    secret_rows = await conn.execute(select(secret_keys).order_by(secret_keys.c.key_sha256))
    visitor_rows = await conn.execute(select(visitor_tokens).order_by(visitor_tokens.c.issued_at))
    session_rows = await conn.execute(select(sessions).order_by(sessions.c.issued_at))
    return {
        "settings": None
        if lifetimes is None
        else {k: v for k, v in lifetimes._mapping.items() if k != "id"},
        "accounts": [
            dict(r._mapping) for r in await conn.execute(select(accounts).order_by(accounts.c.id))
        ],
        "agents": [{**dict(r._mapping), "branding": json.loads(r.branding)} for r in agent_rows],
        "client_keys": [
            {**dict(r._mapping), "allowlist": json.loads(r.allowlist)} for r in key_rows
        ],
        "secret_keys": [
            {"key_sha256": mask_secret(r.key_sha256), "account": r.account, "name": r.name}
            for r in secret_rows
        ],
        "visitor_tokens": [
            {
                "jti": r.jti,
                "kind": r.kind,
                "account": r.account,
                "agent_id": r.agent_id,
                "client_key": r.client_key,
                "subject": r.subject,
                "user_id": json.loads(r.identity).get("user_id"),
                "issued_at": isoformat(r.issued_at),
                "expires_at": isoformat(r.expires_at),
                "status": "exchanged"
                if r.exchanged_at is not None
                else ("expired" if r.expires_at <= now else "active"),
                "exchanged": r.exchanged_at is not None,
                "exchanged_at": _stamp(r.exchanged_at),
                "session_jti": r.session_jti,
            }
            for r in visitor_rows
        ],
        "sessions": [
            {
                "jti": r.jti,
                "chain": r.chain,
                "parent_jti": r.parent_jti,
                "child_jti": r.child_jti,
                "visitor_jti": r.visitor_jti,
                "client_key": r.client_key,
                "subject": json.loads(r.identity)["sub"],
                "issued_at": isoformat(r.issued_at),
                "expires_at": isoformat(r.expires_at),
                "status": "revoked"
                if r.revoked_at is not None
                else "refreshed"
                if r.refreshed_at is not None
                else ("expired" if r.expires_at <= now else "active"),
                "refreshed": r.refreshed_at is not None,
                "refreshed_at": _stamp(r.refreshed_at),
                "revoked": r.revoked_at is not None,
                "revoked_at": _stamp(r.revoked_at),
                "revoked_reason": r.revoked_reason,
            }
            for r in session_rows
        ],
    }


def credentials(fixtures: WidgetFixtures) -> list[dict[str, str]]:
    """Client keys with their allowlists, and secret keys (Bearer of user-token)."""
    found = []
    for key in fixtures.client_keys:
        allowed = ", ".join(key.allowlist) if key.allowlist else "empty: refused everywhere"
        found.append(
            credential(
                "client key",
                key.key,
                f"account {key.account}, agent {key.agent_id}; allowlist {allowed}",
            )
        )
    for secret in fixtures.secret_keys:
        about = f"{secret.name}; " if secret.name else ""
        found.append(
            credential(
                "secret key",
                secret.key,
                f"{about}account {secret.account}; Authorization: Bearer of auth/user-token",
            )
        )
    return found
