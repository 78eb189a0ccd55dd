"""8x8 Video Interaction's tables and fixture schema."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field
from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Table

from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates
from token_emulator.core.store import AutoId, metadata

# A room is valid 15 minutes (eightbyeight.txt); tokens live as long.
DEFAULT_ROOM_TTL_SECONDS = 900


class ApiKey(FixtureModel):
    IDENTITY: ClassVar[str] = "key"

    # Sent as `Authorization: Bearer <key>`, so it must survive as a header value.
    key: Annotated[str, Field(min_length=8, max_length=512, pattern=r"^[\x21-\x7e]+$")]
    name: Annotated[str, Field(min_length=1)]


class Agent(FixtureModel):
    IDENTITY: ClassVar[str] = "email"

    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    name: str | None = None


class EightByEightFixtures(FixtureModel):
    room_ttl_seconds: Lifetime = DEFAULT_ROOM_TTL_SECONDS
    api_keys: list[ApiKey] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)

    def problems(self) -> list[Problem]:
        found = [
            *duplicates("api_keys", self.api_keys, "key"),
            *duplicates("api_keys", self.api_keys, "name"),
        ]
        seen: set[str] = set()
        for index, agent in enumerate(self.agents):
            # Logins compare emails case-insensitively, so the file must too.
            folded = agent.email.casefold()
            if folded in seen:
                message = f"duplicate email {agent.email!r} (emails compare case-insensitively)"
                found.append(Problem(f"agents[{index}]", "email", message))
            seen.add(folded)
        return found


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
