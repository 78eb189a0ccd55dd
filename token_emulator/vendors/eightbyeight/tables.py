"""8x8's state: its tables in the store."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Table

from token_emulator.core.storage import AutoId, metadata

settings = Table(
    "eightbyeight_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("room_ttl_seconds", Integer, nullable=False),
)


api_keys = Table(
    "eightbyeight_api_keys",
    metadata,
    Column("key", String, primary_key=True),
    Column("name", String, nullable=False),
)


agents = Table(
    "eightbyeight_agents",
    metadata,
    Column("email_key", String, primary_key=True),  # casefolded, what logins look up
    Column("email", String, nullable=False),  # as the fixture writes it
    Column("name", String, nullable=True),
)


tokens = Table(
    "eightbyeight_tokens",
    metadata,
    Column("jti", String, primary_key=True),
    Column("api_key", String, ForeignKey("eightbyeight_api_keys.key"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("create_room", Boolean, nullable=False),  # as the request asked
    Column("phone_number", String, nullable=True),
    Column("call_reference", String, nullable=True),
    # Set at issue (create_room) or by the first agent login: one conditional UPDATE.
    Column("room_id", String, nullable=True),
)


rooms = Table(
    "eightbyeight_rooms",
    metadata,
    # Creation order, for newest-first call logs and their cursors.
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("api_key", String, ForeignKey("eightbyeight_api_keys.key"), nullable=False),
    Column("token_jti", String, ForeignKey("eightbyeight_tokens.jti"), nullable=False),
    Column("call_reference", String, nullable=False),
    Column("phone_number", String, nullable=True),
    Column("guest_link", String, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)


logins = Table(
    "eightbyeight_logins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_jti", String, ForeignKey("eightbyeight_tokens.jti"), nullable=False),
    Column("room_id", String, ForeignKey("eightbyeight_rooms.id"), nullable=False),
    Column("agent_email", String, nullable=False),
    Column("time", Float, nullable=False),
)


# The SMS the real service would send; the emulator keeps them instead.
outbox = Table(
    "eightbyeight_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room_id", String, ForeignKey("eightbyeight_rooms.id"), nullable=False),
    Column("to", String, nullable=False),
    Column("body", String, nullable=False),
    Column("time", Float, nullable=False),
)


TABLES = (settings, api_keys, agents, tokens, rooms, logins, outbox)
