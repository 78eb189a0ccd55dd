"""The example vendor's fixture schema: what example.toml holds."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates


class ClientApp(FixtureModel):
    id: Annotated[str, Field(min_length=1, max_length=64)]  # the client_id
    secret: Annotated[str, Field(min_length=8)]
    token_ttl_seconds: Lifetime = 600


class ExampleFixtures(FixtureModel):
    clients: list[ClientApp] = Field(default_factory=list)

    def problems(self) -> list[Problem]:
        return duplicates("clients", self.clients)
