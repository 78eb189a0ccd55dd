"""The example vendor's rules, on the store and the emulator clock; no HTTP here."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import bindparam, select

from tests.example_vendor.errors import invalid_client
from tests.example_vendor.models import ExampleFixtures
from tests.example_vendor.tables import clients, tokens
from token_emulator.core.instants import isoformat
from token_emulator.core.randomness import random_token
from token_emulator.core.storage import Connection, Store
from token_emulator.core.vendor import credential, mask_secret
from token_emulator.core.world import World

_CLIENT = select(clients).where(clients.c.id == bindparam("client_id"))
_TOKEN = select(tokens).where(tokens.c.token == bindparam("token"))
_ISSUE = tokens.insert()


async def issue(world: World, now: float, client_id: str, secret: str) -> dict[str, Any]:
    """A bearer token for a registered client whose secret matches."""
    app = await world.store.fixture_row(_CLIENT, client_id=client_id)
    if app is None:
        raise invalid_client(f"unknown client_id {client_id[:64]!r}")
    if not hmac.compare_digest(secret.encode(), app.secret.encode()):
        raise invalid_client(f"wrong client_secret for {client_id!r}")
    token = random_token()
    expires_at = now + app.token_ttl_seconds
    async with world.store.write() as conn:
        values = {"token": token, "client_id": client_id, "issued_at": now}
        await conn.execute(_ISSUE, {**values, "expires_at": expires_at})
    return {"access_token": token, "token_type": "Bearer", "expires_in": app.token_ttl_seconds}


async def introspect(world: World, now: float, token: str) -> dict[str, Any]:
    """What a live token stands for; 401 for an unknown or expired one."""
    async with world.store.read() as conn:
        row = (await conn.execute(_TOKEN, {"token": token})).one_or_none()
    if row is None:
        raise invalid_client("unknown token (a reset forgets issued tokens)")
    if row.expires_at <= now:
        raise invalid_client(f"token expired at {isoformat(row.expires_at)}")
    return {"active": True, "client_id": row.client_id, "exp": int(row.expires_at)}


async def seed(conn: Connection, store: Store, fixtures: ExampleFixtures) -> None:
    await store.upsert(conn, clients, [app.model_dump() for app in fixtures.clients])


async def state(conn: Connection, now: float) -> dict[str, Any]:
    issued = await conn.execute(select(tokens).order_by(tokens.c.issued_at))
    return {
        "clients": [
            {"id": row.id, "secret": mask_secret(row.secret)}
            for row in await conn.execute(select(clients).order_by(clients.c.id))
        ],
        "tokens": [
            {
                "token": mask_secret(row.token),
                "client_id": row.client_id,
                "expires_at": isoformat(row.expires_at),
                "status": "expired" if row.expires_at <= now else "active",
            }
            for row in issued
        ],
    }


def credentials(fixtures: ExampleFixtures) -> list[dict[str, str]]:
    return [credential(f"client {app.id}", app.secret, "client_secret") for app in fixtures.clients]
