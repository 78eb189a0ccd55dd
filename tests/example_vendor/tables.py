"""The example vendor's state: its tables in the store."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table

from token_emulator.core.storage import metadata

# Only fixtures write it: lookups may be answered from memory (Store.fixture_row).
clients = Table(
    "example_clients",
    metadata,
    Column("id", String, primary_key=True),
    Column("secret", String, nullable=False),
    Column("token_ttl_seconds", Integer, nullable=False),
)

tokens = Table(
    "example_tokens",
    metadata,
    Column("token", String, primary_key=True),
    Column("client_id", String, ForeignKey("example_clients.id"), nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

TABLES = (clients, tokens)  # parents first
