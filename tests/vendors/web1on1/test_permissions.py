"""Every cell of web1on1's permission table, read from the page's own table, against the store.

The table (permission_table.txt, the table web1on1's page publishes, shown in
docs/vendors/web1on1.md) is parsed here; only the mapping from its row names to API
paths is written by hand.
Each case logs in as a user of the column's role, does the row's operation,
and checks both the answer and what the store holds afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.web1on1.conftest import DEMO_ORG, USERS, bearer, state, token_of

pytestmark = pytest.mark.anyio

TABLE = Path(__file__).with_name("permission_table.txt")
OPERATIONS = {
    "List": "list",
    "Fetch": "fetch",
    "Create": "create",
    "Update": "update",
    "Delete": "delete",
}
# The row names the page uses for each resource, and the resource's path under /v2/.
RESOURCES = {
    "organizations": "organizations",
    "organization": "organizations",
    "organization groups": "orggroups",
    "organizationgroup": "orggroups",
    "organizationgroups": "orggroups",
    "users": "users",
    "user": "users",
    "user details": "users",
    "conversations": "conversations",
    "conversation": "conversations",
    "conversations details": "conversations",
    "messages": "messages",
    "message": "messages",
    "contacts": "contacts",
    "contact": "contacts",
    "knowledge items": "kbitems",
    "knowledge item": "kbitems",
    "forms": "forms",
    "form": "forms",
    "services": "services",
    "service": "services",
}
ALL_KINDS = sorted(set(RESOURCES.values()))
# A record of Demo Org of each kind, from the default fixtures.
TARGETS = {
    "organizations": DEMO_ORG,
    "orggroups": "5f47d86c51755a001dc41ba0",
    "conversations": "5f47d86c51755a001dc41e01",
    "messages": "5f47d86c51755a001dc41f01",
    "contacts": "5f47d86c51755a001dc41d01",
    "kbitems": "5f47d86c51755a001dc42001",
    "forms": "5f47d86c51755a001dc42101",
    "services": "5f47d86c51755a001dc42201",
}


@dataclass(frozen=True)
class Cell:
    row: str
    kind: str
    operation: str
    on_self: bool
    role: str
    allowed: bool

    @property
    def id(self) -> str:
        kind = f"{self.kind}(self)" if self.on_self else self.kind
        return f"{self.operation}-{kind}-{self.role}-{'allowed' if self.allowed else 'refused'}"


def read_table() -> list[Cell]:
    lines = [line for line in TABLE.read_text().splitlines() if line and not line.startswith("#")]
    header = lines[0].split()
    assert header[0] == "Permission", "the table starts with its header row"
    roles = [role.lower() for role in header[1:]]
    rows = [line.split() for line in lines[1:] if not line.startswith("---")]
    explicit_deletes = set()
    parsed = []
    for words in rows:
        marks, name = words[-len(roles) :], words[: -len(roles)]
        assert set(marks) <= {"+", "-"}, f"unexpected cells in {words}"
        operation = OPERATIONS[name[0]]
        on_self = name[-1] == "(self)"
        phrase = " ".join(w for w in name[1:] if w != "(self)").lower()
        kinds = [RESOURCES[phrase]] if phrase != "other resource" else None
        if operation == "delete" and kinds:
            explicit_deletes.update(kinds)
        parsed.append((" ".join(name), operation, on_self, kinds, marks))
    cells = []
    for row, operation, on_self, kinds, marks in parsed:
        # "Delete other resource": every kind without a Delete row of its own.
        for kind in kinds or [k for k in ALL_KINDS if k not in explicit_deletes]:
            for role, mark in zip(roles, marks, strict=True):
                cells.append(Cell(row, kind, operation, on_self, role, mark == "+"))
    return cells


CELLS = read_table()


def test_the_table_covers_every_operation_of_every_resource() -> None:
    covered = {(c.kind, c.operation) for c in CELLS}
    assert covered == {(k, o) for k in ALL_KINDS for o in OPERATIONS.values()}
    assert len({c.row for c in CELLS}) == 40  # the page's rows
    assert len(CELLS) == (40 - 1 + 8) * 4  # "Delete other resource" stands for 8 kinds


def records_of(found: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    def in_demo(record: dict[str, Any]) -> bool:
        return record.get("organization") == DEMO_ORG or record["_id"] == DEMO_ORG

    return {r["_id"]: r for r in found["records"][kind] if in_demo(r)}


async def target_of(client: httpx.AsyncClient, cell: Cell, admin: str) -> str:
    """The record the cell acts on; deletions get a throwaway record made by an admin."""
    if cell.kind == "users":
        if cell.on_self:
            return USERS[cell.role]["id"]
        if cell.operation != "delete":
            return USERS["agent" if cell.role == "guest" else "guest"]["id"]
    if cell.operation == "delete" and cell.kind in ("users", "organizations"):
        body: dict[str, Any] = {"name": "throwaway"}
        if cell.kind == "users":
            body |= {"email": "throwaway@example.org", "password": "pw"}
        created = await client.post(f"/web1on1/v2/{cell.kind}", json=body, headers=bearer(admin))
        assert created.status_code == 201
        made: str = created.json()["_id"]
        return made
    return TARGETS[cell.kind]


def create_body(kind: str) -> dict[str, Any]:
    if kind == "users":
        return {"email": "created@example.org", "password": "pw", "name": "Created"}
    if kind == "messages":
        return {"conversation": TARGETS["conversations"], "text": "created by the test"}
    return {"name": "created by the test"}


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.id)
async def test_cell(client: httpx.AsyncClient, cell: Cell) -> None:
    admin = await token_of(client, "admin")
    token = await token_of(client, cell.role)
    path = f"/web1on1/v2/{cell.kind}"
    target = await target_of(client, cell, admin) if cell.operation != "list" else None
    before = records_of(await state(client), cell.kind)

    if cell.operation == "list":
        response = await client.get(path, headers=bearer(token))
    elif cell.operation == "create":
        response = await client.post(path, json=create_body(cell.kind), headers=bearer(token))
    elif cell.operation == "fetch":
        response = await client.get(f"{path}/{target}", headers=bearer(token))
    elif cell.operation == "update":
        patch = {"note": f"patched by {cell.role}"}
        response = await client.patch(f"{path}/{target}", json=patch, headers=bearer(token))
    else:
        response = await client.delete(f"{path}/{target}", headers=bearer(token))
    after = records_of(await state(client), cell.kind)

    if not cell.allowed:
        assert response.status_code == 403, response.text
        assert response.json() == {"error": {"message": "Permission denied"}}
        assert "may not" in (await last_request(client, vendor="web1on1"))["reason"]
        assert after == before, "a refused operation changed the store"
        return

    expected_status = 201 if cell.operation == "create" else 200
    assert response.status_code == expected_status, response.headers.get("x-emulator-reason")
    body = response.json()
    if cell.operation == "list":
        assert sorted(r["_id"] for r in body) == sorted(before)
        assert after == before
    elif cell.operation == "fetch":
        assert body == before[target]
        assert after == before
    elif cell.operation == "create":
        assert set(after) == set(before) | {body["_id"]}
        assert after[body["_id"]] == body
        assert "password" not in body
    elif cell.operation == "update":
        assert after[target]["note"] == f"patched by {cell.role}"
        assert after[target] == body
        assert {k: v for k, v in after[target].items() if k not in ("note", "updatedAt")} == {
            k: v for k, v in before[target].items() if k != "updatedAt"
        }
    else:
        assert target in before and target not in after
        assert body == before[target]
