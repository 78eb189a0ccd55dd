"""Unifize's fixture schema: what its fixture file holds."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from token_emulator.core.fixture_links import Reference
from token_emulator.core.fixtures import (
    FixtureModel,
    Id,
    Lifetime,
    Problem,
    duplicates,
    read_referenced_file,
)
from token_emulator.core.tokens import check_rsa_public_key

CHATROOM_READ = "chatroom:read"


def _checked_pems(pems: list[str]) -> list[str]:
    for index, pem in enumerate(pems):
        try:
            check_rsa_public_key(pem)
        except ValueError as error:
            raise ValueError(f"key {index}: {error}") from None
    return pems


class Org(FixtureModel):
    id: Id
    name: Annotated[str, Field(min_length=1)]


class App(FixtureModel):
    id: Id  # clients send it as the assertion's `iss`, a string
    org_id: Id  # the org of /application/token
    bot_uid: Annotated[str, Field(min_length=1)]
    public_keys: list[str] = Field(default_factory=list)
    # Validated into the files' contents: after loading, this holds PEM text.
    public_key_files: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    access_token_ttl_seconds: Lifetime = 3600
    # Orgs besides org_id where the app is installed (the installation path).
    installations: list[Id] = Field(default_factory=list)
    name: str | None = None

    @field_validator("public_keys")
    @classmethod
    def _keys_parse(cls, pems: list[str]) -> list[str]:
        return _checked_pems(pems)

    @field_validator("public_key_files")
    @classmethod
    def _files_parse(cls, files: list[str], info: ValidationInfo) -> list[str]:
        return _checked_pems([read_referenced_file(info.context, name) for name in files])

    @property
    def registered_keys(self) -> list[str]:
        return [*self.public_keys, *self.public_key_files]

    @property
    def installed_in(self) -> list[int]:
        return sorted({self.org_id, *self.installations})


class Chatroom(FixtureModel):
    id: Id
    org_id: Id
    title: str
    status: str = "open"
    members: list[str] = Field(default_factory=list)
    template_id: Id | None = None
    created_at: str = "2024-01-01T00:00:00.000Z"
    updated_at: str = "2024-01-01T00:00:00.000Z"


class UnifizeFixtures(FixtureModel):
    orgs: list[Org] = Field(default_factory=list)
    apps: list[App] = Field(default_factory=list)
    chatrooms: list[Chatroom] = Field(default_factory=list)

    REFERENCES: ClassVar[tuple[Reference, ...]] = (
        Reference("apps", "org_id", "orgs"),
        Reference("apps", "installations", "orgs"),
        Reference("chatrooms", "org_id", "orgs"),
    )

    def problems(self) -> list[Problem]:
        found = [
            *duplicates("orgs", self.orgs),
            *duplicates("apps", self.apps),
            *duplicates("chatrooms", self.chatrooms),
        ]
        orgs = {org.id for org in self.orgs}
        for index, app in enumerate(self.apps):
            entry = f"apps[{index}] (id {app.id})"
            if not app.registered_keys:
                found.append(Problem(entry, "public_keys", "give public_keys or public_key_files"))
            if app.org_id not in orgs:
                found.append(Problem(entry, "org_id", f"org {app.org_id} is not in [[orgs]]"))
            for org_id in app.installations:
                if org_id not in orgs:
                    message = f"org {org_id} is not in [[orgs]]"
                    found.append(Problem(entry, "installations", message))
        for index, room in enumerate(self.chatrooms):
            if room.org_id not in orgs:
                entry = f"chatrooms[{index}] (id {room.id})"
                found.append(Problem(entry, "org_id", f"org {room.org_id} is not in [[orgs]]"))
        return found


def chatroom_record(room: Chatroom) -> dict[str, Any]:
    """A chatroom in the API's field names (docs/vendors/unifize.md)."""
    return {
        "id": room.id,
        "title": room.title,
        "orgId": room.org_id,
        "status": room.status,
        "members": room.members,
        "templateId": room.template_id,
        "createdAt": room.created_at,
        "updatedAt": room.updated_at,
    }
