"""The dashboard's sessions: what its cookie names instead of the admin token.

A login makes a random session id; the store keeps only its SHA-256 and when
it ends (by the machine's clock: a session outlives moves of the emulator
clock, which QA makes all day). In the store, so every process on one database
knows it (`serve --workers`, replicas); a reset leaves it, since it is not
emulated state. Logout deletes it; ended ones are deleted at the next login.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Column, Float, String, Table, delete, insert, select

from token_emulator.core.instants import real_time
from token_emulator.core.randomness import random_token
from token_emulator.core.storage import SERVER_ONLY, Store, metadata

admin_sessions = Table(
    "emulator_admin_sessions",
    metadata,
    Column("id_sha256", String, primary_key=True),
    Column("ends_at", Float, nullable=False),
    info=SERVER_ONLY,
)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


async def open_session(store: Store, seconds: float) -> str:
    """A new session id, valid for `seconds`."""
    session_id = random_token(32)
    now = real_time()
    async with store.write() as conn:
        await conn.execute(delete(admin_sessions).where(admin_sessions.c.ends_at <= now))
        await conn.execute(
            insert(admin_sessions).values(id_sha256=_key(session_id), ends_at=now + seconds)
        )
    return session_id


async def is_open(store: Store, session_id: str) -> bool:
    async with store.read() as conn:
        query = select(admin_sessions.c.ends_at).where(
            admin_sessions.c.id_sha256 == _key(session_id)
        )
        ends_at = (await conn.execute(query)).scalar_one_or_none()
    return ends_at is not None and ends_at > real_time()


async def close_session(store: Store, session_id: str) -> None:
    async with store.write() as conn:
        await conn.execute(
            delete(admin_sessions).where(admin_sessions.c.id_sha256 == _key(session_id))
        )
