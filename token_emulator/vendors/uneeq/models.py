"""UneeQ's fixture schema: what uneeq.toml holds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates

REGIONS = ("us", "eu", "au", "sg")
Region = Literal["us", "eu", "au", "sg"]


class Workspace(FixtureModel):
    id: Annotated[str, Field(min_length=1)]
    secret: Annotated[str, Field(min_length=1)]
    region: Region
    # Not published by UneeQ (docs/vendors/uneeq.md): five minutes unless a workspace
    # says otherwise.
    token_ttl_seconds: Lifetime = 300
    name: str | None = None


class UneeqFixtures(FixtureModel):
    workspaces: list[Workspace] = Field(default_factory=list)

    def problems(self) -> list[Problem]:
        return duplicates("workspaces", self.workspaces)
