"""web1on1's resources under /v2/: list, fetch, create, update, delete, as the table allows.

A record is visible only to callers of its organization; anything else is a
404, as if it did not exist. An update is one conditional UPDATE that
succeeds only if the record is still what was read (compare and swap), so two
concurrent PATCHes never lose each other's fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError

from token_emulator.core.bodies import json_text
from token_emulator.core.errors import EmulatorError
from token_emulator.core.instants import isoformat
from token_emulator.core.randomness import ordered_id
from token_emulator.core.storage import Connection
from token_emulator.core.world import World
from token_emulator.vendors.web1on1.backend import Caller, new_login, salted_password
from token_emulator.vendors.web1on1.errors import (
    bad_request,
    conflict,
    forbidden,
    not_found,
)
from token_emulator.vendors.web1on1.models import (
    EMAIL_PATTERN,
    RECORD_ID_PATTERN,
    ROLES,
    SERVER_FIELDS,
)
from token_emulator.vendors.web1on1.permissions import Operation, allows, level, lowest_scope
from token_emulator.vendors.web1on1.tables import logins, records

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_SORT = ("createdAt", "_id")
# Fields of a user record that live in its login, never in the record.
LOGIN_ONLY = frozenset({"password"})
EMAIL = re.compile(EMAIL_PATTERN)
RECORD_ID = re.compile(RECORD_ID_PATTERN)
CAS_ATTEMPTS = 20


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: tuple[str, ...] = DEFAULT_SORT
    select: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def _require(caller: Caller, kind: str, operation: Operation, *, on_self: bool = False) -> None:
    if not allows(caller.scopes, kind, operation, on_self=on_self):
        target = f"{kind} (self)" if on_self else kind
        needed = lowest_scope(kind, operation, on_self=on_self)
        raise forbidden(
            f"scope {' '.join(caller.scopes)!r} may not {operation} {target}: "
            f"the permission table needs {needed} or higher"
        )


def _sort_key(value: Any) -> tuple[Any, ...]:
    # Ours: missing and null first (as MongoDB), then numbers, text, the rest.
    if value is None:
        return (-1,)
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, int | float):
        return (0, 1, value)
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True))


def _sorted(found: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    for field in reversed(fields):  # stable sorts, least significant field first
        descending = field.startswith("-")
        name = field.lstrip("-+")
        found.sort(key=lambda record: _sort_key(record.get(name)), reverse=descending)
    return found


def _selected(record: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    """`select=a,b` keeps those fields (and `_id`); `select=-a,-b` drops them, as mongoose does."""
    if fields is None:
        return record
    if all(name.startswith("-") for name in fields):
        dropped = {name[1:] for name in fields}
        return {name: value for name, value in record.items() if name not in dropped}
    kept = [name.lstrip("+") for name in fields]
    return {name: record[name] for name in ("_id", *kept) if name in record}


async def list_records(world: World, caller: Caller, kind: str, query: ListQuery) -> Page:
    _require(caller, kind, "list")
    async with world.store.read() as conn:
        found = [
            json.loads(text)
            for text in await conn.scalars(
                select(records.c.record)
                .where(records.c.kind == kind, records.c.organization == caller.organization)
                # Records equal in every sort field stay in `_id` order, on any database
                # (without it, in the order the database happens to read them).
                .order_by(records.c.id)
            )
        ]
    ordered = _sorted(found, query.sort)
    window = ordered[query.offset : query.offset + query.limit]
    return Page(
        records=[_selected(record, query.select) for record in window],
        total=len(ordered),
        limit=query.limit,
        offset=query.offset,
    )


def _on_self(caller: Caller, kind: str, record_id: str) -> bool:
    return kind == "users" and record_id == caller.user_id


async def _load(conn: Connection, kind: str, record_id: str, organization: str) -> str | None:
    if not RECORD_ID.fullmatch(record_id):
        return None  # no record has such an id; never send arbitrary text to the database
    query = select(records.c.record).where(
        records.c.kind == kind, records.c.id == record_id, records.c.organization == organization
    )
    text: str | None = (await conn.execute(query)).scalar_one_or_none()
    return text


def _missing(kind: str, record_id: str, caller: Caller) -> EmulatorError:
    return not_found(f"no {kind} record {record_id[:64]!r} in organization {caller.organization}")


async def fetch_record(world: World, caller: Caller, kind: str, record_id: str) -> dict[str, Any]:
    _require(caller, kind, "fetch", on_self=_on_self(caller, kind, record_id))
    async with world.store.read() as conn:
        text = await _load(conn, kind, record_id, caller.organization)
    if text is None:
        raise _missing(kind, record_id, caller)
    record: dict[str, Any] = json.loads(text)
    return record


def _client_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a client may set: everything but the fields the server owns."""
    return {name: value for name, value in body.items() if name not in SERVER_FIELDS}


def _check_user_fields(fields: dict[str, Any], caller: Caller, *, creating: bool) -> None:
    if "email" in fields or creating:
        email = fields.get("email")
        if not isinstance(email, str) or not EMAIL.fullmatch(email) or len(email) > 254:
            raise bad_request("email must be an email address")
    if "password" in fields or creating:
        password = fields.get("password")
        if not isinstance(password, str) or not password:
            raise bad_request("password must be a non-empty string")
    if "role" in fields:
        if fields["role"] not in ROLES:
            raise bad_request(f"role must be one of {', '.join(ROLES)}")
        if level(caller.scopes) < ROLES.index("admin"):
            raise forbidden("only an admin may change a user's role")


async def _conversation_exists(conn: Connection, conversation: Any, caller: Caller) -> bool:
    if not isinstance(conversation, str):
        return False
    return await _load(conn, "conversations", conversation, caller.organization) is not None


async def create_record(
    world: World,
    now: float,
    caller: Caller,
    kind: str,
    body: dict[str, Any],
    *,
    conversation: str | None = None,
) -> dict[str, Any]:
    """POST /v2/<kind>; `conversation` is the id of POST /v2/conversations/{id}/messages."""
    _require(caller, kind, "create")
    fields = _client_fields(body)
    if conversation is not None:
        fields["conversation"] = conversation
    if kind == "users":
        _check_user_fields(fields, caller, creating=True)
        fields.setdefault("role", "guest")  # the least a new user can do
    record_id = ordered_id(now)  # a MongoDB ObjectId, as web1on1's own ids
    stamp = isoformat(now)
    record = {
        "_id": record_id,
        **{k: v for k, v in fields.items() if k not in LOGIN_ONLY or kind != "users"},
        "organization": caller.organization,
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    if kind == "users":
        record["email"] = fields["email"].lower()
    try:
        async with world.store.write() as conn:
            if kind == "messages" and not await _conversation_exists(
                conn, fields.get("conversation"), caller
            ):
                where = fields.get("conversation")
                if conversation is not None:
                    raise _missing("conversations", conversation, caller)
                raise bad_request(
                    f"conversation must name a conversation of yours, got {json_text(where, 64)}"
                )
            await conn.execute(
                records.insert().values(
                    kind=kind,
                    id=record_id,
                    organization=caller.organization,
                    record=json.dumps(record),
                )
            )
            if kind == "users":
                login = new_login(
                    record_id,
                    fields["email"],
                    fields["password"],
                    record["role"],
                    caller.organization,
                )
                await conn.execute(logins.insert().values(**login))
    except IntegrityError:
        if kind != "users":
            raise  # only a login's email is unique besides the random id
        raise conflict(f"a user with email {fields['email'][:254]!r} exists already") from None
    return record


async def update_record(
    world: World,
    now: float,
    caller: Caller,
    kind: str,
    record_id: str,
    body: dict[str, Any],
    *,
    replace: bool = False,
) -> dict[str, Any]:
    """PATCH merges top-level fields (docs/vendors/web1on1.md); PUT (messages only)
    replaces them."""
    _require(caller, kind, "update", on_self=_on_self(caller, kind, record_id))
    fields = _client_fields(body)
    if kind == "users":
        _check_user_fields(fields, caller, creating=False)
        if "email" in fields:
            fields["email"] = fields["email"].lower()
    async with world.locks.hold(f"web1on1:{kind}:{record_id}"):
        return await _swap(world, now, caller, kind, record_id, fields, replace=replace)


async def _swap(
    world: World,
    now: float,
    caller: Caller,
    kind: str,
    record_id: str,
    fields: dict[str, Any],
    *,
    replace: bool,
) -> dict[str, Any]:
    """Read, change, and write back only if nobody wrote in between (another process may)."""
    for _attempt in range(CAS_ATTEMPTS):
        async with world.store.read() as conn:
            before = await _load(conn, kind, record_id, caller.organization)
        if before is None:
            raise _missing(kind, record_id, caller)
        old = json.loads(before)
        kept = {name: old[name] for name in SERVER_FIELDS | {"conversation"} if name in old}
        base = kept if replace else old
        changes = {k: v for k, v in fields.items() if k not in LOGIN_ONLY or kind != "users"}
        record = {**base, **changes, "updatedAt": isoformat(now)}
        try:
            async with world.store.write() as conn:
                moved = record.get("conversation") != old.get("conversation")
                if (
                    kind == "messages"
                    and moved
                    and not await _conversation_exists(conn, record.get("conversation"), caller)
                ):
                    raise bad_request("conversation must name a conversation of yours")
                c = records.c
                swapped = await conn.execute(
                    update(records)
                    .where(
                        and_(c.kind == kind, c.id == record_id, c.record == before),
                        c.organization == caller.organization,
                    )
                    .values(record=json.dumps(record))
                )
                if swapped.rowcount == 1:
                    if kind == "users":
                        await _update_login(conn, record_id, fields)
                    return record
        except IntegrityError:
            raise conflict(f"a user with email {fields['email'][:254]!r} exists already") from None
    raise conflict(f"{kind} {record_id} kept changing under {CAS_ATTEMPTS} attempts to update it")


async def _update_login(conn: Connection, user_id: str, fields: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    if "email" in fields:
        values["email"] = fields["email"]
    if "role" in fields:
        values["role"] = fields["role"]
    if "password" in fields:
        values |= salted_password(fields["password"])
    if values:
        await conn.execute(update(logins).where(logins.c.user_id == user_id).values(**values))


async def delete_record(world: World, caller: Caller, kind: str, record_id: str) -> dict[str, Any]:
    _require(caller, kind, "delete")
    if kind == "organizations" and record_id == caller.organization:
        raise forbidden("an organization cannot delete itself")
    if not RECORD_ID.fullmatch(record_id):
        raise _missing(kind, record_id, caller)
    async with world.store.write() as conn:
        c = records.c
        deleted = (
            await conn.execute(
                delete(records)
                .where(c.kind == kind, c.id == record_id, c.organization == caller.organization)
                .returning(c.record)
            )
        ).scalar_one_or_none()
        if deleted is not None and kind == "users":
            # Its tokens go with it: authentication finds no login.
            await conn.execute(delete(logins).where(logins.c.user_id == record_id))
    if deleted is None:
        raise _missing(kind, record_id, caller)
    record: dict[str, Any] = json.loads(deleted)
    return record
