"""web1on1's fixture schema: what web1on1.toml holds."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from token_emulator.core.bodies import BodyProblem, ensure_storable
from token_emulator.core.fixture_links import Reference, Unique
from token_emulator.core.fixtures import FixtureModel, Lifetime, Problem, duplicates

Role = Literal["guest", "agent", "bot", "admin"]
# In ascending order of permissions (docs/vendors/web1on1.md): each includes those before it.
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
    # web1on1's page says expired tokens get 403; the official SDK refreshes only on
    # 401 (docs/vendors/web1on1.md). 401 by default, 403 as the page says.
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

    UNIQUE: ClassVar[tuple[Unique, ...]] = (Unique("users", "email", str.lower),)
    REFERENCES: ClassVar[tuple[Reference, ...]] = (
        *(Reference(kind, "organization", "organizations") for kind in KINDS),
        Reference("orggroups", "organizations", "organizations"),
        Reference("messages", "conversation", "conversations"),
        Reference("api_keys", "user", "users"),
    )

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
