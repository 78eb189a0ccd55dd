"""Fixtures added at run time are checked against the earlier entries their unique values
and references lead to (core/fixture_links.py, core/runtime_fixtures.py): that finds
what each vendor's whole check (`problems()`) would find, and the index the store keeps
for it is made again wherever the documents come from (a migration, an edited file,
an imported world)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import FIXTURES, in_process, make_settings
from tests.control.test_runtime_fixtures import add, workspaces
from tests.worlds.conftest import in_world
from token_emulator.core.fixtures import (
    FixtureModel,
    entry_model,
    load_file,
    sections,
    unique_rules,
    validate,
)
from token_emulator.core.runtime_fixtures import added_entries, added_fixtures
from token_emulator.core.storage.schema import schema_table
from token_emulator.core.vendor import Vendor
from token_emulator.vendors import all_vendors

pytestmark = pytest.mark.anyio

VENDORS = {vendor.id: vendor for vendor in all_vendors()}


def as_added(vendor: Vendor) -> dict[str, Any]:
    """The vendor's default fixture file as a document to add at run time: key files'
    contents given inline, as an addition must."""
    data: dict[str, Any] = load_file(vendor.fixture_model, FIXTURES / vendor.fixture_file)
    data = data.model_dump(mode="json")  # type: ignore[attr-defined]
    for entry in data.get("apps", []):
        entry["public_keys"] += entry.pop("public_key_files")
    return data


def fresh(value: Any) -> Any:
    """An identity no entry has, of the same shape (a key keeps its prefix)."""
    return value + 1_000_000 if isinstance(value, int) else f"{value}z"


def cases(vendor: Vendor, earlier: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents to add after `earlier`: each entry again (every unique value shared), each
    entry under a new identity (its other unique values and its references shared),
    and, for each reference, an entry naming what is not there."""
    model = vendor.fixture_model
    found: list[dict[str, Any]] = []
    for section in sections(model):
        identity = entry_model(model, section).IDENTITY
        for entry in earlier.get(section, []):
            found.append({section: [entry]})
            found.append({section: [{**entry, identity: fresh(entry[identity])}]})
    for reference in model.REFERENCES:
        [entry, *_] = earlier[reference.section]
        identity = entry_model(model, reference.section).IDENTITY
        named = entry[reference.field]
        missing: Any = fresh(named[0] if isinstance(named, list) else named)
        if isinstance(named, list):
            missing = [missing]
        changed = {**entry, identity: fresh(entry[identity]), reference.field: missing}
        found.append({reference.section: [changed]})
    return found


LABEL = re.compile(r"(\w+)\[(\d+)\](.*)")


def whole_check(vendor: Vendor, earlier: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """What the vendor's check finds in `document`'s entries with every earlier entry
    before them, named by the document's positions."""
    model = vendor.fixture_model
    merged = {
        section: [*earlier.get(section, []), *document.get(section, [])]
        for section in sections(model)
    }
    parsed: FixtureModel = validate(model, merged, "whole", cross_check=False)
    source = f"{vendor.fixture_file} (added at run time)"
    named = []
    for problem in parsed.problems():
        label = LABEL.fullmatch(problem.entry)
        assert label is not None, problem
        index = int(label[2]) - len(earlier.get(label[1], []))
        if index >= 0:
            where = f"{source}: {label[1]}[{index}]{label[3]}: field '{problem.field}'"
            named.append(f"{where}: {problem.message}")
    return sorted(named)


def test_every_reference_names_a_unique_identity() -> None:
    """A reference is looked up by its target's identity as it is written, so that must
    be indexed unfolded (a vendor that folds its identity would say so in UNIQUE)."""
    for vendor in VENDORS.values():
        model = vendor.fixture_model
        rules = unique_rules(model)
        unfolded = {(rule.section, rule.field) for rule in rules if rule.fold is None}
        for reference in model.REFERENCES:
            assert reference.field in entry_model(model, reference.section).model_fields
            target = (reference.target, entry_model(model, reference.target).IDENTITY)
            assert target in unfolded, (vendor.id, reference)


@pytest.mark.parametrize("vendor_id", sorted(VENDORS))
async def test_an_addition_is_refused_for_what_the_whole_check_finds(
    tmp_path: Path, vendor_id: str
) -> None:
    """With the vendor's file empty and its default fixtures added at run time, every
    document of `cases` gets the problems the whole check names, or is taken when that
    finds none."""
    vendor = VENDORS[vendor_id]
    empty = tmp_path / "no-fixtures"
    empty.mkdir()
    earlier = as_added(vendor)
    tried = cases(vendor, earlier)
    assert len(tried) >= 4
    refused = 0
    async for client in in_process(make_settings(tmp_path, fixtures_dir=empty)):
        assert (await add(client, vendor_id, earlier)).status_code == 201
        for document in tried:
            expected = whole_check(vendor, earlier, document)
            answer = await add(client, vendor_id, document)
            if expected:
                refused += 1
                assert answer.status_code == 400, (document, answer.text)
                assert sorted(answer.json()["problems"]) == expected, document
            else:
                assert answer.status_code == 201, (document, answer.text)
                assert (await client.post("/_emulator/reset")).status_code == 200
                assert (await add(client, vendor_id, earlier)).status_code == 201
    assert refused >= len(tried) // 2  # every entry added again is refused


@pytest.mark.each_database
async def test_a_database_from_before_the_index_is_indexed_when_it_opens(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Schema 4 kept the documents alone: the first start of this release indexes them,
    so a duplicate of an entry added then is refused and the bound counts them."""
    settings = make_settings(tmp_path, database=database, max_added_entries=10)
    async for client in in_process(settings):
        assert (await add(client, "uneeq", workspaces("old", 4))).status_code == 201
        assert (await add(client, "widget", {"session_ttl_seconds": 111})).status_code == 201
    await as_schema_4(database)
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        opened = [r.getMessage() for r in caplog.records if r.name == "token_emulator.app"]
        assert opened[0].endswith("(schema version 5, migrated from 4)"), opened
        again = await add(client, "uneeq", workspaces("old", 1))
        assert again.status_code == 400
        assert "duplicate id 'old-0'" in again.text
        over = await add(client, "uneeq", workspaces("new", 7))  # 4 + 7 > 10
        assert over.status_code == 400
        assert "would hold 11 entries" in over.text
        taken = await add(client, "widget", {"refresh_grace_seconds": 5})
        assert taken.status_code == 201
        widget = (await client.get("/_emulator/state/widget")).json()["settings"]
        assert widget["session_ttl_seconds"] == 111  # the earlier document's, kept


async def on_the_database(database: str, *statements: Any) -> None:
    url = database if "://" in database else f"sqlite+aiosqlite:///{database}"
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(statement)
    finally:
        await engine.dispose()


@pytest.mark.each_database
async def test_documents_keyed_otherwise_are_indexed_again_at_the_next_start(
    tmp_path: Path, database: str
) -> None:
    """A release that keys entries otherwise (a value made unique, a fold changed)
    indexes the documents again: here the stored keying is another, and the index of
    the document gone, as a release that did not key that value would have left it."""
    settings = make_settings(tmp_path, database=database)
    async for client in in_process(settings):
        assert (await add(client, "uneeq", workspaces("old", 2))).status_code == 201
    await on_the_database(
        database,
        update(added_fixtures).values(keyed_by="another"),
        delete(added_entries),
    )
    async for client in in_process(settings):
        again = await add(client, "uneeq", workspaces("old", 1))
        assert again.status_code == 400
        assert "duplicate id 'old-0'" in again.text


@pytest.mark.each_database
async def test_a_stored_document_this_release_refuses_is_left_with_a_warning(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An older release stored what this one refuses: the server still starts, says
    which document, and takes additions."""
    settings = make_settings(tmp_path, database=database)
    async for client in in_process(settings):
        assert (await add(client, "uneeq", workspaces("old", 1))).status_code == 201
    refused = {"workspaces": [{"id": "old-0", "secret": "s", "region": "mars"}]}
    await on_the_database(
        database, update(added_fixtures).values(document=json.dumps(refused), keyed_by=None)
    )
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.startswith(
            "uneeq.toml (added at run time, document 1): not indexed, as it cannot be read: "
        ), warning
        assert "field 'region'" in warning
        assert (await add(client, "uneeq", workspaces("new", 1))).status_code == 201


async def as_schema_4(database: str) -> None:
    """Take the database back to what schema 4 had: no index, no counted columns."""
    url = database if "://" in database else f"sqlite+aiosqlite:///{database}"
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX emulator_added_fixtures_counted"))
            await conn.execute(text("DROP TABLE emulator_added_entries"))
            for column in ("entries", "size", "settings", "keyed_by"):
                await conn.execute(
                    text(f"ALTER TABLE emulator_added_fixtures DROP COLUMN {column}")
                )
            await conn.execute(update(schema_table).values(version=4))
    finally:
        await engine.dispose()


async def test_an_imported_world_indexes_the_additions_it_holds(
    client: httpx.AsyncClient,
) -> None:
    """The index is left out of an export and made again by the import."""
    assert (await add(client, "uneeq", workspaces("kept", 2))).status_code == 201
    document = (await client.get("/_emulator/export")).json()
    assert "emulator_added_entries" not in document["core"]
    made = await client.post("/_emulator/worlds", json={"name": "copy", "import": document})
    assert made.status_code == 201, made.text
    async with in_world(client, "copy") as copy:
        again = await add(copy, "uneeq", workspaces("kept", 1))
        assert again.status_code == 400
        assert "duplicate id 'kept-0'" in again.text
    for stored, why in (
        ('{"workspaces": 1}', "Input should be a valid list"),
        ("{", "not JSON"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ):
        spoiled = json.loads(json.dumps(document))
        spoiled["core"]["emulator_added_fixtures"][0]["document"] = stored
        refused = await client.post("/_emulator/worlds", json={"name": "bad", "import": spoiled})
        assert refused.status_code == 400
        assert "a document is not fixtures" in refused.text
        assert why in refused.text
    assert "bad" not in {
        w["name"] for w in (await client.get("/_emulator/worlds")).json()["worlds"]
    }
