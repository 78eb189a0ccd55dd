"""web1on1's tables and fixture schema.

Every resource of the permission table is a JSON record in one table, keyed
by kind and id and scoped to an organization. Logins live apart from the user
records, so a password never reaches an API answer or the state page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, text

from token_emulator.core import applied_fixtures
from token_emulator.core.bodies import BodyProblem, ensure_storable
from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates
from token_emulator.core.schema import Migrations, table_names
from token_emulator.core.store import Connection, Store, metadata

Role = Literal["guest", "agent", "bot", "admin"]
# In ascending order of permissions (web1on1.txt): each includes those before it.
ROLES: tuple[Role, ...] = ("guest", "agent", "bot", "admin")

# The resources of the permission table, by their path under /v2/.
KINDS = (
    "organizations",
    "orggroups",
    "users",
    "conversations",
    "messages",
    "contacts",
    "kbitems",
    "forms",
    "services",
)
# Fields the server owns: a client's value for them is ignored.
SERVER_FIELDS = frozenset({"_id", "organization", "createdAt", "updatedAt"})

# web1on1 ids are MongoDB ObjectIds (24 hex digits); fixtures may use any short slug.
RECORD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"  # (use with re.fullmatch: `$` alone allows a final newline)
RecordId = Annotated[str, Field(pattern=RECORD_ID_PATTERN)]
Text1 = Annotated[str, Field(min_length=1, max_length=500)]
SEED_TIME = "2024-01-01T00:00:00.000Z"  # createdAt of seeded records that give none


class Record(FixtureModel):
    """A seeded resource: an id, its organization, and any other fields as the API shows them."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    id: RecordId
    organization: RecordId

    @model_validator(mode="after")
    def _fields_are_json(self) -> Record:
        for name, value in (self.model_extra or {}).items():
            if name in SERVER_FIELDS:
                raise ValueError(f"field {name!r} is set by the server")
            try:
                ensure_storable(value, f"field {name!r}")
            except BodyProblem as problem:
                raise ValueError(str(problem)) from None
            except TypeError:
                # TOML dates and times parse to Python objects JSON has no form for.
                raise ValueError(f"field {name!r} is a TOML date or time: quote it") from None
        return self

    def api_fields(self) -> dict[str, Any]:
        """The record's fields besides the ids, as the API shows them."""
        return self.model_dump(exclude={"id", "organization", "password"}, exclude_none=True)


class Organization(Record):
    # An organization is its own scope; `organization` would name a parent.
    organization: RecordId | None = None  # type: ignore[assignment]
    name: Text1


class OrgGroup(Record):
    name: Text1
    organizations: list[RecordId] = Field(default_factory=list)


class User(Record):
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
    password: Annotated[str, Field(min_length=1)]  # TEST-ONLY; stored salted and hashed
    role: Role
    name: str | None = None


class Message(Record):
    conversation: RecordId
    # Taken from the conversation when not given.
    organization: RecordId | None = None  # type: ignore[assignment]


class ApiKey(FixtureModel):
    id: RecordId
    user: RecordId
    scopes: Annotated[list[Role], Field(min_length=1)]


class Web1on1Fixtures(FixtureModel):
    # web1on1.txt says expired tokens get 403; the official SDK refreshes only
    # on 401 (FINDINGS.md). 401 by default, 403 as the page says.
    expired_token_status: Literal[401, 403] = 401
    rate_limit_per_second: Annotated[int, Field(ge=0, le=1_000_000)] = 20  # 0: no limit
    access_token_ttl_seconds: Lifetime = 24 * 3600
    organizations: list[Organization] = Field(default_factory=list)
    orggroups: list[OrgGroup] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    api_keys: list[ApiKey] = Field(default_factory=list)
    conversations: list[Record] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    contacts: list[Record] = Field(default_factory=list)
    kbitems: list[Record] = Field(default_factory=list)
    forms: list[Record] = Field(default_factory=list)
    services: list[Record] = Field(default_factory=list)

    def seeded(self, kind: str) -> list[Record]:
        entries: list[Record] = getattr(self, kind)
        return entries

    def problems(self) -> list[Problem]:
        found = [problem for kind in KINDS for problem in duplicates(kind, self.seeded(kind))]
        found += duplicates("api_keys", self.api_keys)
        emails: set[str] = set()
        for index, user in enumerate(self.users):
            if user.email.lower() in emails:
                text = f"duplicate email {user.email!r} (emails are compared in lower case)"
                found.append(Problem(f"users[{index}] (id {user.id!r})", "email", text))
            emails.add(user.email.lower())
        orgs = {org.id for org in self.organizations}
        for kind in KINDS:
            for index, entry in enumerate(self.seeded(kind)):
                if entry.organization is not None and entry.organization not in orgs:
                    found.append(
                        Problem(
                            f"{kind}[{index}] (id {entry.id!r})",
                            "organization",
                            f"organization {entry.organization!r} is not in [[organizations]]",
                        )
                    )
        for index, group in enumerate(self.orggroups):
            for member in group.organizations:
                if member not in orgs:
                    message = f"organization {member!r} is not in [[organizations]]"
                    found.append(
                        Problem(f"orggroups[{index}] (id {group.id!r})", "organizations", message)
                    )
        conversations = {c.id: c.organization for c in self.conversations}
        for index, message in enumerate(self.messages):
            entry = f"messages[{index}] (id {message.id!r})"
            if message.conversation not in conversations:
                text = f"conversation {message.conversation!r} is not in [[conversations]]"
                found.append(Problem(entry, "conversation", text))
            elif message.organization not in (None, conversations[message.conversation]):
                text = "differs from its conversation's organization"
                found.append(Problem(entry, "organization", text))
        roles = {user.id: user.role for user in self.users}
        for index, key in enumerate(self.api_keys):
            entry = f"api_keys[{index}] (id {key.id!r})"
            if key.user not in roles:
                found.append(Problem(entry, "user", f"user {key.user!r} is not in [[users]]"))
            elif max(map(ROLES.index, key.scopes)) > ROLES.index(roles[key.user]):
                text = f"scopes go beyond its user's role, {roles[key.user]}"
                found.append(Problem(entry, "scopes", text))
        return found


records = Table(
    "web1on1_records",
    metadata,
    Column("kind", String, primary_key=True),
    Column("id", String, primary_key=True),
    # The organization whose members see the record.
    Column("organization", String, nullable=False),
    Column("record", Text, nullable=False),  # the record as the API shows it, JSON
)
Index("web1on1_records_by_organization", records.c.kind, records.c.organization)

logins = Table(
    "web1on1_logins",
    metadata,
    Column("user_id", String, primary_key=True),
    Column("email", String, nullable=False, unique=True),  # lower case
    Column("password_hash", String, nullable=False),
    Column("salt", String, nullable=False),
    Column("role", String, nullable=False),
    Column("organization", String, nullable=False),
)

api_keys = Table(
    "web1on1_api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("user_id", String, nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list
    Column("revoked_at", Float, nullable=True),
)

access_tokens = Table(
    "web1on1_access_tokens",
    metadata,
    Column("jti", String, primary_key=True),
    Column("user_id", String, nullable=False),
    Column("chain_id", String, nullable=False),
    Column("scope", String, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),  # bots' tokens never expire
    Column("revoked_at", Float, nullable=True),
)

refresh_tokens = Table(
    "web1on1_refresh_tokens",
    metadata,
    # The store key (backend._store_key): the token's ordered id, as public as a jti,
    # then its SHA-256; never the random part. Earlier versions kept the SHA-256 alone.
    Column("token_hash", String, primary_key=True),
    Column("chain_id", String, nullable=False),
    Column("parent_hash", String, nullable=True),  # the token_hash of the one it replaced
    Column("user_id", String, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
)
Index("web1on1_refresh_tokens_by_chain", refresh_tokens.c.chain_id)
Index("web1on1_access_tokens_by_chain", access_tokens.c.chain_id)

# The top-level settings in force, one row: the file's, or those given at run time.
SETTINGS_ROW = 1
settings = Table(
    "web1on1_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("expired_token_status", Integer, nullable=False),
    Column("rate_limit_per_second", Integer, nullable=False),
    Column("access_token_ttl_seconds", Integer, nullable=False),
)

TABLES = (settings, records, logins, api_keys, access_tokens, refresh_tokens)


async def _from_schema_1(conn: Connection, store: Store) -> None:
    """Schema 1 seeded web1on1 from its file once, marked it in web1on1_seeded, and kept
    what the API did since: that state is adopted as it is, not written over."""
    if "web1on1_seeded" not in await table_names(conn, store):
        return
    if (await conn.execute(text("SELECT 1 FROM web1on1_seeded LIMIT 1"))).first() is not None:
        await applied_fixtures.adopt(conn, store, "web1on1")
    await conn.execute(text("DROP TABLE web1on1_seeded"))


MIGRATIONS = Migrations({1: _from_schema_1}, retired=("web1on1_seeded",))
