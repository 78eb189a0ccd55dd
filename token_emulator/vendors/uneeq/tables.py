"""UneeQ's state: its tables in the store."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text

from token_emulator.core.storage import metadata

workspaces = Table(
    "uneeq_workspaces",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=True),
    Column("secret", String, nullable=False),
    Column("region", String, nullable=False),
    Column("token_ttl_seconds", Integer, nullable=False),
)

tokens = Table(
    "uneeq_tokens",
    metadata,
    Column("token", String, primary_key=True),
    Column("workspace_id", String, ForeignKey("uneeq_workspaces.id"), nullable=False),
    Column("region", String, nullable=False),
    Column("sid", String, nullable=False),
    Column("custom_data", Text, nullable=True),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("redeemed_at", Float, nullable=True),
    Column("session_id", String, nullable=True),
)

sessions = Table(
    "uneeq_sessions",
    metadata,
    Column("id", String, primary_key=True),
    Column("workspace_id", String, ForeignKey("uneeq_workspaces.id"), nullable=False),
    Column("token", String, nullable=False),
    Column("sid", String, nullable=False),
    Column("custom_data", Text, nullable=True),
    Column("started_at", Float, nullable=False),
    Column("auth_token", String, nullable=False),
    # What the SDK sent besides the token (sessionType, sdkVersion, ...), as JSON.
    Column("client", Text, nullable=False),
)

TABLES = (workspaces, tokens, sessions)
