"""Secrets the emulator signs its own tokens with, kept in the store.

In the store, not in memory, so that a second process on the same database
and a restarted one verify the tokens the first one minted. A reset keeps
them: they are the emulator's, not the fixtures'.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, select

from token_emulator.core.storage import Store, metadata
from token_emulator.core.tokens import opaque_token

signing_secrets = Table(
    "emulator_signing_secrets",
    metadata,
    Column("name", String, primary_key=True),
    Column("secret", String, nullable=False),
)


class SigningSecrets:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}

    async def get(self, name: str) -> str:
        """The secret called `name`, made on first use; the first process to make it wins."""
        if name not in self._cache:
            async with self._store.write() as conn:
                row = {"name": name, "secret": opaque_token(48)}
                await self._store.insert_missing(conn, signing_secrets, [row])
            async with self._store.read() as conn:
                query = select(signing_secrets.c.secret).where(signing_secrets.c.name == name)
                self._cache[name] = (await conn.execute(query)).scalar_one()
        return self._cache[name]
