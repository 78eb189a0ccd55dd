"""8x8's fixture schema: what its fixture file holds."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from token_emulator.core.fixture_links import Unique
from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates

# A room is valid 15 minutes (docs/vendors/eightbyeight.md); tokens live as long.
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

    UNIQUE: ClassVar[tuple[Unique, ...]] = (
        Unique("api_keys", "name"),
        Unique("agents", "email", str.casefold),
    )

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
