"""Widget's state: its tables in the store."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text

from token_emulator.core.storage import metadata

settings = Table(
    "widget_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("visitor_token_ttl_seconds", Integer, nullable=False),
    Column("session_ttl_seconds", Integer, nullable=False),
    Column("refresh_grace_seconds", Integer, nullable=False),
)


accounts = Table(
    "widget_accounts",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=True),
)


agents = Table(
    "widget_agents",
    metadata,
    Column("id", String, primary_key=True),
    Column("account", String, ForeignKey("widget_accounts.id"), nullable=False),
    Column("display_name", String, nullable=False),
    Column("auth_mode", String, nullable=False),
    Column("branding", Text, nullable=False),  # JSON object
)


client_keys = Table(
    "widget_client_keys",
    metadata,
    Column("key", String, primary_key=True),
    Column("account", String, ForeignKey("widget_accounts.id"), nullable=False),
    Column("agent_id", String, ForeignKey("widget_agents.id"), nullable=False),
    Column("allowlist", Text, nullable=False),  # JSON list of entries as written
)


secret_keys = Table(
    "widget_secret_keys",
    metadata,
    Column("key_sha256", String, primary_key=True),  # never the key itself
    Column("account", String, ForeignKey("widget_accounts.id"), nullable=False),
    Column("name", String, nullable=True),
)


visitor_tokens = Table(
    "widget_visitor_tokens",
    metadata,
    Column("jti", String, primary_key=True),
    Column("kind", String, nullable=False),  # guest | user
    Column("account", String, nullable=False),
    Column("agent_id", String, nullable=False),
    Column("client_key", String, nullable=False),
    Column("subject", String, nullable=False),  # user_id, or the guest visitor id
    Column("identity", Text, nullable=False),  # the identity claims, JSON
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("exchanged_at", Float, nullable=True),
    Column("session_jti", String, nullable=True),
)


sessions = Table(
    "widget_sessions",
    metadata,
    Column("jti", String, primary_key=True),
    Column("chain", String, nullable=False, index=True),  # the first session's jti
    Column("parent_jti", String, nullable=True),  # the session refreshed into this one
    Column("visitor_jti", String, nullable=False),
    Column("client_key", String, nullable=False),
    Column("identity", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("refreshed_at", Float, nullable=True),
    Column("child_jti", String, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Column("revoked_reason", String, nullable=True),
)


TABLES = (settings, accounts, agents, client_keys, secret_keys, visitor_tokens, sessions)
