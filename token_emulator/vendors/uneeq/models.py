"""UneeQ's tables and fixture schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text

from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates
from token_emulator.core.store import metadata

REGIONS = ("us", "eu", "au", "sg")
Region = Literal["us", "eu", "au", "sg"]


class Workspace(FixtureModel):
    id: Annotated[str, Field(min_length=1)]
    secret: Annotated[str, Field(min_length=1)]
    region: Region
    # Not published by UneeQ (FINDINGS.md): five minutes unless a workspace says otherwise.
    token_ttl_seconds: Lifetime = 300
    name: str | None = None


class UneeqFixtures(FixtureModel):
    workspaces: list[Workspace] = Field(default_factory=list)

    def problems(self) -> list[Problem]:
        return duplicates("workspaces", self.workspaces)


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
