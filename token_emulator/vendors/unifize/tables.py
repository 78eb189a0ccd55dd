"""Unifize's state: its tables in the store."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, String, Table, Text

from token_emulator.core.storage import metadata

# Ids are 64-bit (fixtures and requests may give up to 2**63 - 1): BigInteger, as
# PostgreSQL's INTEGER is 32-bit.
orgs = Table(
    "unifize_orgs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
)


apps = Table(
    "unifize_apps",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String, nullable=True),
    Column("org_id", BigInteger, ForeignKey("unifize_orgs.id"), nullable=False),
    Column("bot_uid", String, nullable=False),
    Column("public_keys", Text, nullable=False),  # JSON list of PEM texts
    Column("permissions", Text, nullable=False),  # JSON list
    Column("installed_in", Text, nullable=False),  # JSON list of org ids
    Column("access_token_ttl_seconds", Integer, nullable=False),
)


access_tokens = Table(
    "unifize_access_tokens",
    metadata,
    Column("jti", String, primary_key=True),
    Column("app_id", BigInteger, ForeignKey("unifize_apps.id"), nullable=False),
    Column("org_id", BigInteger, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)


chatrooms = Table(
    "unifize_chatrooms",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("org_id", BigInteger, ForeignKey("unifize_orgs.id"), nullable=False),
    Column("record", Text, nullable=False),  # the chatroom as the API shows it, JSON
)


TABLES = (orgs, apps, access_tokens, chatrooms)
