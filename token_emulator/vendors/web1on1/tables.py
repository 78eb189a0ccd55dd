"""web1on1's state: its tables in the store.

Every resource of the permission table is a JSON record in one table, keyed
by kind and id and scoped to an organization. Logins live apart from the user
records, so a password never reaches an API answer or the state page.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, text

from token_emulator.core import applied_fixtures
from token_emulator.core.storage import Connection, Store, metadata
from token_emulator.core.storage.schema import Migrations, table_names

records = Table(
    "web1on1_records",
    metadata,
    Column("kind", String, primary_key=True),
    Column("id", String, primary_key=True),
    # The organization whose members see the record.
    Column("organization", String, nullable=False),
    Column("record", Text, nullable=False),  # the record as the API shows it, JSON
)
Index("web1on1_records_by_organization", records.c.kind, records.c.organization)


logins = Table(
    "web1on1_logins",
    metadata,
    Column("user_id", String, primary_key=True),
    Column("email", String, nullable=False, unique=True),  # lower case
    Column("password_hash", String, nullable=False),
    Column("salt", String, nullable=False),
    Column("role", String, nullable=False),
    Column("organization", String, nullable=False),
)


api_keys = Table(
    "web1on1_api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("user_id", String, nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list
    Column("revoked_at", Float, nullable=True),
)


access_tokens = Table(
    "web1on1_access_tokens",
    metadata,
    Column("jti", String, primary_key=True),
    Column("user_id", String, nullable=False),
    Column("chain_id", String, nullable=False),
    Column("scope", String, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),  # bots' tokens never expire
    Column("revoked_at", Float, nullable=True),
)


refresh_tokens = Table(
    "web1on1_refresh_tokens",
    metadata,
    # The store key (backend._store_key): the token's ordered id, as public as a jti,
    # then its SHA-256; never the random part. Earlier versions kept the SHA-256 alone.
    Column("token_hash", String, primary_key=True),
    Column("chain_id", String, nullable=False),
    Column("parent_hash", String, nullable=True),  # the token_hash of the one it replaced
    Column("user_id", String, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
)
Index("web1on1_refresh_tokens_by_chain", refresh_tokens.c.chain_id)
Index("web1on1_access_tokens_by_chain", access_tokens.c.chain_id)


# The top-level settings in force, one row: the file's, or those given at run time.
settings = Table(
    "web1on1_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("expired_token_status", Integer, nullable=False),
    Column("rate_limit_per_second", Integer, nullable=False),
    Column("access_token_ttl_seconds", Integer, nullable=False),
)


TABLES = (settings, records, logins, api_keys, access_tokens, refresh_tokens)


async def _from_schema_1(conn: Connection, store: Store) -> None:
    """Schema 1 seeded web1on1 from its file once, marked it in web1on1_seeded, and kept
    what the API did since: that state is adopted as it is, not written over."""
    if "web1on1_seeded" not in await table_names(conn, store):
        return
    if (await conn.execute(text("SELECT 1 FROM web1on1_seeded LIMIT 1"))).first() is not None:
        await applied_fixtures.adopt(conn, store, "web1on1")
    await conn.execute(text("DROP TABLE web1on1_seeded"))


MIGRATIONS = Migrations({1: _from_schema_1}, retired=("web1on1_seeded",))
