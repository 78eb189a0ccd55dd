"""web1on1's token rules: password logins, refresh chains, API keys, callers. Never sees a Request.

Access tokens are HS256 JWTs (`_id`, `scope`, `iat`, `exp`, `jti`) signed
with the emulator's stored secret; each is also a row, so a revoked chain or
a reset refuses it. Refresh tokens are single-use and chained: presenting a
used one revokes every token of its chain (OAuth 2.0 Security BCP, RFC 9700
section 4.14), since either the client or an attacker holds a stolen copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from token_emulator.core.bodies import json_kind
from token_emulator.core.fixtures import FixtureConflict
from token_emulator.core.headers import HeaderProblem, bearer_token
from token_emulator.core.instants import described, isoformat, parse_instant
from token_emulator.core.randomness import ORDERED_ID_DIGITS, ordered_id, random_hex
from token_emulator.core.settings_row import SETTINGS_ROW, write_settings
from token_emulator.core.signing import NotIssued, NotIssuedWords, issued_claims
from token_emulator.core.storage import Connection, Store
from token_emulator.core.tokens import TokenProblem, check_times, sign_hmac
from token_emulator.core.vendor import credential
from token_emulator.core.world import World
from token_emulator.vendors.web1on1.errors import (
    EXPIRED,
    INVALID_SIGNATURE,
    INVALID_TOKEN,
    NO_TOKEN,
    bad_request,
    refusal,
    too_many_requests,
    unauthorized,
)
from token_emulator.vendors.web1on1.models import KINDS, ROLES, SEED_TIME, Web1on1Fixtures
from token_emulator.vendors.web1on1.permissions import level
from token_emulator.vendors.web1on1.tables import (
    access_tokens,
    api_keys,
    logins,
    records,
    refresh_tokens,
    settings,
)

VENDOR_ID = "web1on1"
SIGNING_SECRET = "web1on1-tokens"
INVALID_CREDENTIALS = "Invalid email or password"
# Refusals of a refresh: deliberately not "invalid token", on which the SDK would refresh again.
INVALID_REFRESH = "invalid refresh token"
# API-key tokens are minted from the fixtures, so they carry a fixed `iat`:
# the same key gives the same token for as long as the store's secret lives.
API_KEY_ISSUED_AT = int(parse_instant(SEED_TIME))


@dataclass(frozen=True)
class Caller:
    """Who a Bearer token speaks for."""

    user_id: str
    organization: str
    scopes: tuple[str, ...]
    api_key: str | None = None


_SETTINGS = select(settings).where(settings.c.id == SETTINGS_ROW)
_DEFAULTS = Web1on1Fixtures()


async def current_settings(world: World) -> Web1on1Fixtures | Row[Any]:
    """The top-level settings in force: the fixture file's, or those given at run time
    (POST /_emulator/fixtures) until the next reset."""
    row: Row[Any] | None = await world.store.fixture_row(_SETTINGS)
    return _DEFAULTS if row is None else row  # None: nothing seeded it yet: the defaults


async def check_rate(world: World, now: float, key: str) -> None:
    """web1on1 allows 20 requests per second per IP and per API key (docs/vendors/web1on1.md)."""
    limit = (await current_settings(world)).rate_limit_per_second
    wait = world.limiter.hit(f"{VENDOR_ID}:{key}", now, limit)
    if wait is not None:
        raise too_many_requests(
            f"rate limit: more than {limit} requests from {key} in emulator second "
            f"{isoformat(now // 1)} (a frozen clock stays in one second: advance it)",
            wait,
        )


def password_hash(password: str, salt: str) -> str:
    # Salted so state dumps and databases never show a password; fixture
    # passwords are test-only, so a fast hash keeps logins cheap.
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def salted_password(password: str) -> dict[str, str]:
    """The `salt` and `password_hash` columns of a login."""
    salt = random_hex(8)
    return {"salt": salt, "password_hash": password_hash(password, salt)}


def new_login(
    user_id: str, email: str, password: str, role: str, organization: str
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "email": email.lower(),
        "role": role,
        "organization": organization,
        **salted_password(password),
    }


def _new_refresh_token(user_id: str, now: float) -> str:
    # The page's sample shape: the user id, a dot, 80 hex digits. Ours are an
    # ordered id (24 digits, see _store_key) and 56 random ones (224 bits).
    return f"{user_id}.{ordered_id(now)}{random_hex(28)}"


DIGEST_DIGITS = 64  # a SHA-256 in hex


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8", "surrogatepass")).hexdigest()


def _store_key(refresh_token: str) -> str:
    """The store's key for a refresh token (its `token_hash` column): the ordered id
    the token begins with, as public as a jti, then the SHA-256 of the whole token;
    never the random part.

    Keys of new tokens sort after older ones: an insert lands on the key index's
    last page, with the rest of its group commit. A plain hash put each token on
    a page of its own, which COMMIT and the checkpoint then wrote out
    (bench/HISTORY.md, "Ordered ids"). A token of any other shape gets a key no
    token has."""
    return refresh_token.rpartition(".")[2][:ORDERED_ID_DIGITS] + _digest(refresh_token)


async def _held_refresh_token(world: World, refresh_token: str) -> tuple[str, Row[Any]] | None:
    """The token's store key and row; None if unknown. A database file written before
    keys began with the ordered id keys its tokens by the SHA-256 alone: they are
    looked up that way when the new key finds nothing, so they refresh (and are
    caught when reused) across an upgrade."""
    async with world.store.read() as conn:
        for key in (_store_key(refresh_token), _digest(refresh_token)):
            held = (await conn.execute(_HELD, {"token_hash": key})).one_or_none()
            if held is not None:
                return key, held
    return None


def _bearer(authorization: str | None) -> str:
    # express-jwt's two messages: no header at all, or one of the wrong form.
    message = NO_TOKEN if authorization is None else "Format is Authorization: Bearer [token]"
    try:
        return bearer_token(authorization)
    except HeaderProblem as problem:
        raise unauthorized(str(problem), message) from None


NOT_ISSUED = NotIssuedWords(
    "token",
    signature="signature does not verify: not issued by this emulator",
    missing_claim="{token} claim {claim} missing or not a string",
)


async def _verified_claims(world: World, now: float, token: str) -> dict[str, Any]:
    try:
        claims = await issued_claims(
            world.signing, SIGNING_SECRET, token, NOT_ISSUED, required=("_id", "jti")
        )
    except NotIssued as refused:
        message = INVALID_SIGNATURE if refused.kind == "signature" else INVALID_TOKEN
        raise unauthorized(refused.reason, message) from None
    if "scopes" in claims:
        return claims  # an API-key token: no expiry, revocable
    try:
        check_times(claims, now)
    except TokenProblem as problem:
        if problem.kind == "expired":
            status = (await current_settings(world)).expired_token_status
            raise refusal(f"token {problem.detail}", status=status, message=EXPIRED) from None
        if problem.kind == "not_yet_valid":
            raise unauthorized(f"token {problem.detail}", "jwt not active") from None
        raise unauthorized(f"token {problem.detail}") from None
    if not isinstance(claims.get("scope"), str):
        raise unauthorized("token claim scope missing or not a string")
    return claims


# The hot statements are built once (building one costs more than running it).
_LOGIN_BY_USER = select(logins).where(logins.c.user_id == bindparam("user_id"))
_LOGIN_BY_EMAIL = select(logins).where(logins.c.email == bindparam("email"))
_API_KEY = select(api_keys).where(api_keys.c.id == bindparam("jti"))
_ACCESS_TOKEN = select(access_tokens).where(access_tokens.c.jti == bindparam("jti"))
_MINT_ACCESS = access_tokens.insert()
_MINT_REFRESH = refresh_tokens.insert()
_HELD = (
    select(refresh_tokens, logins.c.email, logins.c.role, logins.c.organization)
    .join(logins, logins.c.user_id == refresh_tokens.c.user_id)
    .where(refresh_tokens.c.token_hash == bindparam("token_hash"))
)
# An UPDATE's parameters are not named after its table's columns: SQLAlchemy takes a
# parameter named like a column as a value to SET.
_CONSUME = (
    update(refresh_tokens)
    .where(
        refresh_tokens.c.token_hash == bindparam("presented_hash"),
        refresh_tokens.c.used_at.is_(None),
        refresh_tokens.c.revoked_at.is_(None),
    )
    .values(used_at=bindparam("at"))
    .returning(refresh_tokens.c.chain_id)
)


async def authenticate(world: World, now: float, authorization: str | None) -> Caller:
    """The caller behind `Authorization: Bearer ...`; 401 (or the expiry status) otherwise."""
    claims = await _verified_claims(world, now, _bearer(authorization))
    jti, user_id = claims["jti"], claims["_id"]
    async with world.store.read() as conn:
        login = (await conn.execute(_LOGIN_BY_USER, {"user_id": user_id})).one_or_none()
        if "scopes" in claims:
            key = (await conn.execute(_API_KEY, {"jti": jti})).one_or_none()
            issued = None
        else:
            key = None
            issued = (await conn.execute(_ACCESS_TOKEN, {"jti": jti})).one_or_none()
    if key is not None:
        if key.user_id != user_id:
            raise unauthorized(f"API key {jti!r} belongs to another user")
        if key.revoked_at is not None:
            raise unauthorized(f"API key {jti!r} was revoked at {isoformat(key.revoked_at)}")
        scopes = tuple(json.loads(key.scopes))
    elif issued is not None:
        if issued.user_id != user_id:
            raise unauthorized(f"token {jti!r} was issued to another user")
        if issued.revoked_at is not None:
            raise unauthorized(
                f"token revoked at {isoformat(issued.revoked_at)} (its refresh chain was revoked)"
            )
        if issued.expires_at is not None and issued.expires_at <= now:
            # The JWT's exp is the store's, to the second; a JWT claiming a longer life
            # than was issued (made with the signing secret) still ends here.
            exp = claims.get("exp")
            says = described(exp) if isinstance(exp, int | float) else "no exp"
            raise refusal(
                f"token expired at {isoformat(issued.expires_at)} by the store "
                f"(the JWT says {says})",
                status=(await current_settings(world)).expired_token_status,
                message=EXPIRED,
            )
        scopes = tuple(issued.scope.split())
    else:
        what = "API key" if "scopes" in claims else "token"
        raise unauthorized(f"{what} {jti!r} unknown here (a reset forgets issued tokens)")
    if login is None:
        raise unauthorized(f"user {user_id!r} no longer exists")
    if level(scopes) > ROLES.index(login.role):
        # A token or key never does more than its user may do now (say, after a demotion).
        scopes = (login.role,)
    caller = Caller(user_id, login.organization, scopes, api_key=key.id if key else None)
    if caller.api_key is not None:
        await check_rate(world, now, f"API key {caller.api_key}")
    return caller


async def _mint(
    conn: Connection,
    world: World,
    secret: str,
    now: float,
    login: Row[Any],
    *,
    chain_id: str,
    parent_hash: str | None,
) -> dict[str, Any]:
    """A new access token and refresh token in `chain_id`, inside the caller's transaction."""
    jti = ordered_id(now)
    # Bots' tokens do not expire (docs/vendors/web1on1.md); everyone else's last 24 hours. Whole
    # seconds, so the JWT's exp, `expiresAt` and the store agree on the instant.
    ttl = (await current_settings(world)).access_token_ttl_seconds
    expires_at = None if login.role == "bot" else float(int(now) + ttl)
    claims: dict[str, Any] = {"_id": login.user_id, "scope": login.role, "iat": int(now)}
    if expires_at is not None:
        claims["exp"] = int(expires_at)
    claims["jti"] = jti
    refresh_token = _new_refresh_token(login.user_id, now)
    await conn.execute(
        _MINT_ACCESS,
        {
            "jti": jti,
            "user_id": login.user_id,
            "chain_id": chain_id,
            "scope": login.role,
            "issued_at": now,
            "expires_at": expires_at,
        },
    )
    await conn.execute(
        _MINT_REFRESH,
        {
            "token_hash": _store_key(refresh_token),
            "chain_id": chain_id,
            "parent_hash": parent_hash,
            "user_id": login.user_id,
            "issued_at": now,
        },
    )
    return {
        "tokenType": "Bearer",
        "token": sign_hmac(claims, secret),
        "refreshToken": refresh_token,
        "user": login.user_id,
        "organization": login.organization,
        "expiresAt": isoformat(expires_at) if expires_at is not None else None,
        "scope": login.role,
    }


def _string_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        got = "missing" if value is None else json_kind(value)
        raise bad_request(f"{name} must be a non-empty string, got {got}")
    return value


async def issue_with_password(world: World, now: float, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/auth/token` with `email` and `password` (docs/vendors/web1on1.md)."""
    email, password = _string_field(body, "email"), _string_field(body, "password")
    async with world.store.read() as conn:
        login = (await conn.execute(_LOGIN_BY_EMAIL, {"email": email.lower()})).one_or_none()
    if login is None:
        raise unauthorized(f"no user with email {email[:254]!r}", INVALID_CREDENTIALS)
    if not hmac.compare_digest(password_hash(password, login.salt), login.password_hash):
        raise unauthorized(f"wrong password for {email[:254]!r}", INVALID_CREDENTIALS)
    secret = await world.signing.get(SIGNING_SECRET)
    async with world.store.write() as conn:
        return await _mint(
            conn, world, secret, now, login, chain_id=ordered_id(now), parent_hash=None
        )


async def refresh(
    world: World,
    now: float,
    refresh_token: Any,
    *,
    client_id: str | None = None,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """Trade a refresh token for new tokens, given the user's email or a live access token."""
    if not isinstance(refresh_token, str) or not refresh_token:
        raise bad_request("refreshToken must be a non-empty string")
    found = await _held_refresh_token(world, refresh_token)
    if found is None:
        raise unauthorized("refresh token unknown (a reset forgets issued tokens)", INVALID_REFRESH)
    token_hash, held = found
    if client_id is not None and client_id.lower() != held.email:
        raise unauthorized(
            f"clientId {client_id[:254]!r} is not the email of the refresh token's user",
            INVALID_REFRESH,
        )
    if caller is not None and caller.api_key is not None:
        raise unauthorized(
            f"refresh with GET needs the user's own access token, not API key {caller.api_key}"
        )
    if caller is not None and caller.user_id != held.user_id:
        raise unauthorized(
            f"the Bearer token is user {caller.user_id!r}'s, the refresh token {held.user_id!r}'s",
            INVALID_REFRESH,
        )

    secret = await world.signing.get(SIGNING_SECRET)
    async with world.store.write() as conn:
        consumed = (
            await conn.execute(_CONSUME, {"presented_hash": token_hash, "at": now})
        ).one_or_none()
        if consumed is not None:
            return await _mint(
                conn, world, secret, now, held, chain_id=held.chain_id, parent_hash=token_hash
            )
        await _revoke_chain(conn, held.chain_id, now)
    # Refused after the revocation has committed.
    if held.revoked_at is not None:
        raise unauthorized(
            f"refresh token revoked at {isoformat(held.revoked_at)}", INVALID_REFRESH
        )
    raise unauthorized(
        f"refresh token already used: reuse revoked every token of chain {held.chain_id}",
        INVALID_REFRESH,
    )


async def _revoke_chain(conn: Connection, chain_id: str, now: float) -> None:
    """Refuse every access token of the chain and every refresh token not used yet."""
    a, r = access_tokens.c, refresh_tokens.c
    await conn.execute(
        update(access_tokens)
        .where(a.chain_id == chain_id, a.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await conn.execute(
        update(refresh_tokens)
        .where(r.chain_id == chain_id, r.revoked_at.is_(None), r.used_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(world: World, now: float, user_id: str) -> int | None:
    """Revoke every access and refresh token of a user (bots' tokens never expire
    otherwise); the number of access tokens revoked, or None for an unknown user."""
    async with world.store.write() as conn:
        known = await conn.execute(select(logins.c.user_id).where(logins.c.user_id == user_id))
        if known.first() is None:
            return None
        a, r = access_tokens.c, refresh_tokens.c
        revoked = await conn.execute(
            update(access_tokens)
            .where(a.user_id == user_id, a.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await conn.execute(
            update(refresh_tokens)
            .where(r.user_id == user_id, r.revoked_at.is_(None), r.used_at.is_(None))
            .values(revoked_at=now)
        )
    count: int = revoked.rowcount
    return count


def api_key_token(secret: str, key: Row[Any]) -> str:
    claims = {
        "_id": key.user_id,
        "scopes": json.loads(key.scopes),
        "iat": API_KEY_ISSUED_AT,
        "jti": key.id,
    }
    return sign_hmac(claims, secret)


async def list_api_keys(world: World) -> list[dict[str, Any]]:
    """The fixtures' API keys with their tokens: what a test sends as Bearer."""
    secret = await world.signing.get(SIGNING_SECRET)
    async with world.store.read() as conn:
        keys = (await conn.execute(select(api_keys).order_by(api_keys.c.id))).all()
    return [_api_key_json(key) | {"token": api_key_token(secret, key)} for key in keys]


async def revoke_api_key(world: World, now: float, key_id: str) -> dict[str, Any] | None:
    """Revoke an API key (its token is refused from now on); None if there is no such key."""
    async with world.store.write() as conn:
        c = api_keys.c
        await conn.execute(
            update(api_keys).where(c.id == key_id, c.revoked_at.is_(None)).values(revoked_at=now)
        )
        key = (await conn.execute(select(api_keys).where(c.id == key_id))).one_or_none()
    return _api_key_json(key) if key is not None else None


def _api_key_json(key: Row[Any]) -> dict[str, Any]:
    return {
        "id": key.id,
        "user": key.user_id,
        "scopes": json.loads(key.scopes),
        "revoked_at": isoformat(key.revoked_at) if key.revoked_at is not None else None,
    }


def record_rows(fixtures: Web1on1Fixtures, conversations: dict[str, str]) -> list[dict[str, Any]]:
    """Every seeded resource as a row; `conversations` gives the organization of each
    conversation a message may name (the fixtures' own and those in the store)."""
    conversations = {**conversations, **{c.id: c.organization for c in fixtures.conversations}}
    rows = []
    for kind in KINDS:
        for entry in fixtures.seeded(kind):
            fields = entry.api_fields()
            if kind == "organizations":
                scope = entry.id  # an organization's members see it
            elif kind == "messages":
                scope = entry.organization or conversations.get(fields["conversation"], "")
                if not scope:
                    raise FixtureConflict(
                        f"message {entry.id!r}: its conversation {fields['conversation']!r} "
                        "no longer exists (deleted through the API?)"
                    )
            else:
                scope = entry.organization
            if kind != "organizations" or entry.organization is not None:
                fields["organization"] = entry.organization or scope
            fields.setdefault("createdAt", SEED_TIME)
            fields.setdefault("updatedAt", fields["createdAt"])
            record = {"_id": entry.id, **fields}
            rows.append(
                {"kind": kind, "id": entry.id, "organization": scope, "record": json.dumps(record)}
            )
    return rows


async def seed(conn: Connection, store: Store, fixtures: Web1on1Fixtures) -> None:
    """The file's settings and entries. A restart passes only the entries edited in the
    file since the last start (core/applied_fixtures.py): records the API changed
    since stay as the API left them, unless their fixture entry was edited."""
    await write_settings(conn, store, settings, fixtures)
    await add_fixtures(conn, store, fixtures)


async def add_fixtures(conn: Connection, store: Store, fixtures: Web1on1Fixtures) -> None:
    named = {m.conversation for m in fixtures.messages}
    query = select(records.c.id, records.c.organization).where(
        records.c.kind == "conversations", records.c.id.in_(named)
    )
    stored = {row.id: row.organization for row in await conn.execute(query)}
    await store.upsert(conn, records, record_rows(fixtures, stored))
    await store.upsert(
        conn,
        logins,
        [
            new_login(user.id, user.email, user.password, user.role, user.organization)
            for user in fixtures.users
        ],
    )
    await store.upsert(
        conn,
        api_keys,
        [
            {
                "id": key.id,
                "user_id": key.user,
                "scopes": json.dumps(key.scopes),
                "revoked_at": None,
            }
            for key in fixtures.api_keys
        ],
    )


def _status(row: Row[Any], now: float) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if getattr(row, "used_at", None) is not None:
        return "used"
    expires_at = getattr(row, "expires_at", None)
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "active"


def _shown(token_hash: str) -> str:
    # The first 12 digits of the token's SHA-256 (a key's last 64 digits, in keys
    # written before the ordered id too): enough to tell tokens apart, useless as one.
    return token_hash[-DIGEST_DIGITS:][:12]


def _stamp(value: float | None) -> str | None:
    return isoformat(value) if value is not None else None


async def state(conn: Connection, now: float) -> dict[str, Any]:
    chains: dict[str, dict[str, Any]] = {}
    for row in await conn.execute(select(refresh_tokens).order_by(refresh_tokens.c.issued_at)):
        chain = chains.setdefault(
            row.chain_id,
            {"chain": row.chain_id, "user": row.user_id, "refresh_tokens": [], "access_tokens": []},
        )
        chain["refresh_tokens"].append(
            {
                "hash": _shown(row.token_hash),
                "parent": _shown(row.parent_hash) if row.parent_hash else None,
                "issued_at": isoformat(row.issued_at),
                "used_at": _stamp(row.used_at),
                "revoked_at": _stamp(row.revoked_at),
                "status": _status(row, now),
            }
        )
    for row in await conn.execute(select(access_tokens).order_by(access_tokens.c.issued_at)):
        chains[row.chain_id]["access_tokens"].append(
            {
                "jti": row.jti,
                "scope": row.scope,
                "issued_at": isoformat(row.issued_at),
                "expires_at": _stamp(row.expires_at),
                "revoked_at": _stamp(row.revoked_at),
                "status": _status(row, now),
            }
        )
    users = [
        {"id": r.user_id, "email": r.email, "role": r.role, "organization": r.organization}
        for r in await conn.execute(select(logins).order_by(logins.c.user_id))
    ]
    keys = [
        _api_key_json(key) | {"status": _status(key, now)}
        for key in await conn.execute(select(api_keys).order_by(api_keys.c.id))
    ]
    by_kind: dict[str, list[Any]] = {kind: [] for kind in KINDS}
    query = select(records.c.kind, records.c.record).order_by(records.c.kind, records.c.id)
    for kind, record in await conn.execute(query):
        by_kind[kind].append(json.loads(record))
    return {"users": users, "api_keys": keys, "chains": list(chains.values()), "records": by_kind}


def credentials(fixtures: Web1on1Fixtures) -> list[dict[str, str]]:
    """Each user's email and password, and the API keys (their tokens are a control call)."""
    org_names = {org.id: org.name for org in fixtures.organizations}
    found = []
    for user in fixtures.users:
        org = org_names.get(user.organization, user.organization)
        name = f" ({user.name})" if user.name else ""
        found.append(credential("email", user.email, f"{user.role} of {org}{name}"))
        found.append(credential("password", user.password, f"of {user.email}"))
    if fixtures.api_keys:
        found.append(
            credential(
                "API-key tokens",
                "GET /_emulator/web1on1/api-keys",
                "the Bearer token of each API key below",
            )
        )
    emails = {user.id: user.email for user in fixtures.users}
    found += [
        credential(
            "API key id",
            key.id,
            f"scopes {', '.join(key.scopes)}; user {emails.get(key.user, key.user)}",
        )
        for key in fixtures.api_keys
    ]
    return found
