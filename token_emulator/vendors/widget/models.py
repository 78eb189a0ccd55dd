"""Kataven widget: tables and fixture schema.

Keys follow docs/vendors/widget.md: `pk_live_<account>_<random>` (public client key) and
`sk_live_<account>_<random>` (secret key). Account ids take no underscore and
the random part is letters and digits, so a key splits back into its parts
one way only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from token_emulator.core.fixture_links import Reference
from token_emulator.core.fixtures import (
    MAX_LIFETIME_SECONDS,
    FixtureModel,
    Lifetime,
    Problem,
    duplicates,
)
from token_emulator.vendors.widget.origins import OriginProblem, parse_allowlist

AuthMode = Literal["guest", "user", "both"]
AccountId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Color = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
Copy = Annotated[str, Field(max_length=1000)]
KEY_RANDOM = re.compile(r"[A-Za-z0-9]{8,128}")
MAX_KEY_CHARS = 200  # longer keys cannot be registered, so they are refused unread


def key_problem(key: str, prefix: str, account: str) -> str | None:
    """Why `key` is not `<prefix>_<account>_<random>`, or None."""
    head = f"{prefix}_{account}_"
    if not key.startswith(head) or not KEY_RANDOM.fullmatch(key[len(head) :]):
        return (
            f"must be {prefix}_<account>_<random> for account {account!r}, "
            "the random part 8 to 128 letters or digits"
        )
    return None


def secret_key_hash(key: str) -> str:
    """Secret keys are kept as SHA-256 only (the vendor stores them hashed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Account(FixtureModel):
    id: AccountId
    name: Name | None = None


class Branding(FixtureModel):
    """What `GET /config` hands the widget to render: colours and copy."""

    primary_color: Color = "#2563eb"
    background_color: Color = "#ffffff"
    text_color: Color = "#111827"
    title: Copy = ""
    greeting: Copy = ""
    input_placeholder: Copy = "Type a message"
    launcher_label: Copy = "Chat with us"


class Agent(FixtureModel):
    id: Annotated[str, Field(min_length=1, max_length=128)]
    account: AccountId
    display_name: Name
    auth_mode: AuthMode = "both"
    branding: Branding = Field(default_factory=Branding)


class ClientKey(FixtureModel):
    IDENTITY: ClassVar[str] = "key"

    key: Annotated[str, Field(max_length=MAX_KEY_CHARS)]
    account: AccountId
    agent_id: str
    # Entries are checked here, at load, so a bad one names file, entry and field.
    allowlist: list[str] = Field(default_factory=list)

    @field_validator("allowlist")
    @classmethod
    def _entries_parse(cls, entries: list[str]) -> list[str]:
        try:
            parse_allowlist(entries)
        except OriginProblem as problem:
            raise ValueError(str(problem)) from None
        return entries


class SecretKey(FixtureModel):
    IDENTITY: ClassVar[str] = "key"

    key: Annotated[str, Field(max_length=MAX_KEY_CHARS)]
    account: AccountId
    name: Name | None = None


class WidgetFixtures(FixtureModel):
    # The page says only "short-lived" for both JWTs; docs/vendors/widget.md gives the
    # visitor token five minutes. The session lifetime and grace are choices.
    visitor_token_ttl_seconds: Lifetime = 300
    session_ttl_seconds: Lifetime = 900
    refresh_grace_seconds: Annotated[int, Field(ge=0, le=MAX_LIFETIME_SECONDS)] = 300
    accounts: list[Account] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    client_keys: list[ClientKey] = Field(default_factory=list)
    secret_keys: list[SecretKey] = Field(default_factory=list)

    REFERENCES: ClassVar[tuple[Reference, ...]] = (
        Reference("agents", "account", "accounts"),
        Reference("client_keys", "account", "accounts"),
        Reference("client_keys", "agent_id", "agents"),
        Reference("secret_keys", "account", "accounts"),
    )

    def problems(self) -> list[Problem]:
        found = [
            *duplicates("accounts", self.accounts),
            *duplicates("agents", self.agents),
            *duplicates("client_keys", self.client_keys, "key"),
        ]
        accounts = {account.id for account in self.accounts}
        agents = {agent.id: agent for agent in self.agents}
        for index, agent in enumerate(self.agents):
            entry = f"agents[{index}] (id {agent.id!r})"
            found.extend(_account_problems(entry, agent.account, accounts))
        for index, client in enumerate(self.client_keys):
            entry = f"client_keys[{index}] (key {client.key!r})"
            found.extend(_account_problems(entry, client.account, accounts))
            if (why := key_problem(client.key, "pk_live", client.account)) is not None:
                found.append(Problem(entry, "key", why))
            agent = agents.get(client.agent_id)
            if agent is None:
                why = f"agent {client.agent_id!r} is not in [[agents]]"
                found.append(Problem(entry, "agent_id", why))
            elif agent.account != client.account:
                why = f"agent {agent.id!r} belongs to account {agent.account!r}"
                found.append(Problem(entry, "agent_id", f"{why}, not {client.account!r}"))
        seen: set[str] = set()
        for index, secret in enumerate(self.secret_keys):
            # Named by index only: the entry label must not print the secret.
            entry = f"secret_keys[{index}]"
            found.extend(_account_problems(entry, secret.account, accounts))
            if (why := key_problem(secret.key, "sk_live", secret.account)) is not None:
                found.append(Problem(entry, "key", why))
            if secret.key in seen:
                found.append(Problem(entry, "key", "the same secret key is listed twice"))
            seen.add(secret.key)
        return found


def _account_problems(entry: str, account: str, accounts: set[str]) -> list[Problem]:
    if account in accounts:
        return []
    return [Problem(entry, "account", f"account {account!r} is not in [[accounts]]")]


def branding_json(agent: Agent) -> dict[str, Any]:
    return agent.branding.model_dump()
