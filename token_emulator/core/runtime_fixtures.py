"""Fixtures added at run time (`POST /_emulator/fixtures`), until the next reset.

A document has the schema of the vendor's fixture file, in JSON: it adds
entries, and the top-level settings it names replace the file's (web1on1's
rate limit switched off for one test, say). Each document is checked as the
file would be, then together with the file and every document added before it
(from any process, so they are kept in the store), so a new API key may name a
user from the file and a duplicate id is refused.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import Column, Float, Integer, String, Table, Text, delete, select, update
from sqlalchemy.exc import IntegrityError

from token_emulator.core.clock import Clock
from token_emulator.core.fixtures import (
    FixtureConflict,
    FixtureError,
    FixtureModel,
    FixtureProblem,
    entry_model,
    raise_problems,
    sections,
    top_level_settings,
    validate,
)
from token_emulator.core.storage import Connection, Store, metadata
from token_emulator.core.vendor import Vendor

added_fixtures = Table(
    "emulator_added_fixtures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor", String, nullable=False),
    Column("document", Text, nullable=False),
    Column("added_at", Float, nullable=False),
)


def _parse(vendor: Vendor, data: Any, source: str) -> FixtureModel:
    if not isinstance(data, dict):
        raise FixtureError([FixtureProblem(source, "", "", "fixtures must be a JSON object")])
    # No fixture directory: an entry must carry key contents, not name key files.
    return validate(vendor.fixture_model, data, source, base_dir=None, cross_check=False)


def _given_settings(model: type[FixtureModel], data: dict[str, Any]) -> set[str]:
    return {name for name in top_level_settings(model) if name in data}


def _merged(base: FixtureModel, documents: list[tuple[FixtureModel, set[str]]]) -> FixtureModel:
    """The file with every document's entries added and its settings in force."""
    models = (base, *(document for document, _given in documents))
    update: dict[str, Any] = {
        name: list(itertools.chain.from_iterable(getattr(model, name) for model in models))
        for name in sections(type(base))
    }
    for document, given in documents:
        update.update({name: getattr(document, name) for name in given})
    return base.model_copy(update=update)


def with_document(vendor: Vendor, in_file: FixtureModel, data: Any, source: str) -> FixtureModel:
    """The file's fixtures with one more document's entries and settings, checked as a
    whole (a world created with fixtures of its own: core/worlds.py); FixtureError."""
    document = _parse(vendor, data, source)
    merged = _merged(in_file, [(document, _given_settings(vendor.fixture_model, data))])
    raise_problems(merged, source)
    return merged


async def yield_to_file(
    conn: Connection, vendor_id: str, fixtures: FixtureModel, *, settings: bool
) -> None:
    """At a restart that applied an edited file, the fixtures added at run time give way
    to it: an entry the file now holds (by identity) leaves the stored documents, and so
    do their settings when the file's settings were edited. Later additions are then
    checked against the file as it is, and replay no setting the file overrode."""
    model = type(fixtures)
    in_file = {
        (section, getattr(entry, entry.IDENTITY))
        for section in sections(model)
        for entry in getattr(fixtures, section)
    }
    named_settings = set(top_level_settings(model))
    query = select(added_fixtures.c.id, added_fixtures.c.document)
    for row in (await conn.execute(query.where(added_fixtures.c.vendor == vendor_id))).all():
        document = json.loads(row.document)
        kept: dict[str, Any] = {}
        for name, value in document.items():
            if name in named_settings:
                if not settings:
                    kept[name] = value
                continue
            identity = entry_model(model, name).IDENTITY
            left = [e for e in value if (name, e.get(identity)) not in in_file]
            if left:
                kept[name] = left
        if kept == document:
            continue
        where = added_fixtures.c.id == row.id
        if kept:
            await conn.execute(
                update(added_fixtures).where(where).values(document=json.dumps(kept))
            )
        else:
            await conn.execute(delete(added_fixtures).where(where))


# The most JSON the documents added to one vendor may hold in all until a reset, however
# few entries they have (a document is at most the body limit, 64 KiB by default).
MAX_ADDED_BYTES = 64 * 1024 * 1024


class AddedDocuments:
    """The documents added to one vendor, parsed, as this process last read them from the
    store: an addition parses only the documents it has not seen (its own, and those
    other processes added since), not every earlier one again. Dropped at a reset."""

    def __init__(self) -> None:
        # id -> the document, the settings it gives, its entries, its bytes of JSON
        self.parsed: dict[int, tuple[FixtureModel, set[str], int, int]] = {}

    async def read(
        self, store: Store, vendor: Vendor, source: str
    ) -> list[tuple[FixtureModel, set[str]]]:
        async with store.read() as conn:
            where = added_fixtures.c.vendor == vendor.id
            ids = list(await conn.scalars(select(added_fixtures.c.id).where(where)))
            unseen = [number for number in ids if number not in self.parsed]
            if unseen:
                query = select(added_fixtures.c.id, added_fixtures.c.document).where(
                    added_fixtures.c.id.in_(unseen)
                )
                for row in await conn.execute(query):
                    self.remember(row.id, row.document, vendor, source)
        present = set(ids)
        for gone in [number for number in self.parsed if number not in present]:
            del self.parsed[gone]  # given way to an edited file, or reset by another process
        return [self.parsed[number][:2] for number in sorted(self.parsed)]

    def remember(self, number: int, text: str, vendor: Vendor, source: str) -> None:
        stored = json.loads(text)
        parsed = validate(vendor.fixture_model, stored, source, cross_check=False)
        given = _given_settings(vendor.fixture_model, stored)
        self.parsed[number] = (parsed, given, _entries(parsed), len(text))

    def entries(self) -> int:
        return sum(entry[2] for entry in self.parsed.values())

    def size(self) -> int:
        return sum(entry[3] for entry in self.parsed.values())


def _entries(document: FixtureModel) -> int:
    """What a document counts against the bound: its entries, and at least one (a
    document of settings alone is stored and checked too)."""
    return max(1, sum(len(getattr(document, name)) for name in sections(type(document))))


async def add(
    store: Store,
    vendor: Vendor,
    in_file: FixtureModel,
    data: Any,
    now: float,
    documents: AddedDocuments | None = None,
    max_entries: int = 100_000,
) -> tuple[dict[str, int], dict[str, Any]]:
    """Check and store one document, against the vendor's fixture file (`in_file`) and the
    documents added before it (`documents`: those this process has parsed already); how
    many entries of each section it added, and the settings it put in force. The
    documents may hold `max_entries` in all (each addition is checked against all of
    them, and they are kept in memory and in the store until a reset)."""
    source = f"{vendor.fixture_file} (added at run time)"
    document = _parse(vendor, data, source)
    given = _given_settings(vendor.fixture_model, data)
    documents = documents if documents is not None else AddedDocuments()
    earlier = await documents.read(store, vendor, source)
    text = json.dumps(data)
    total = documents.entries() + _entries(document)
    size = documents.size() + len(text)
    if total > max_entries:
        over = f"{total:,} entries added at run time, over the {max_entries:,}"
    elif size > MAX_ADDED_BYTES:
        over = f"{size:,} bytes of JSON added at run time, over the {MAX_ADDED_BYTES:,}"
    else:
        over = None
    if over is not None:
        message = (
            f"would hold {over} the emulator keeps until a reset (--max-added-entries): "
            "reset, or put them in the fixture file"
        )
        raise FixtureError([FixtureProblem(source, "", "", message)])
    merged = _merged(in_file, [*earlier, (document, given)])
    raise_problems(merged, source)
    try:
        # Exclusive, as a seed: upserts across tables while requests write would deadlock.
        async with store.write(exclusive=True) as conn:
            if given:
                # The settings in force, with this document's entries only.
                only_new = {name: getattr(document, name) for name in sections(type(document))}
                await vendor.seed(conn, store, merged.model_copy(update=only_new))
            else:
                await (vendor.add_fixtures or vendor.seed)(conn, store, document)
            stored = added_fixtures.insert().values(vendor=vendor.id, document=text, added_at=now)
            number = (await conn.execute(stored.returning(added_fixtures.c.id))).scalar_one()
            await Clock.count_fixture_change(conn)
    except (IntegrityError, FixtureConflict) as error:
        # Something made through the vendor's API since (a user's email, say).
        cause = error.orig if isinstance(error, IntegrityError) else error
        message = f"conflicts with what the store holds now ({cause})"
        raise FixtureError([FixtureProblem(source, "", "", message)]) from None
    store.changed()  # fixture lookups this process remembers are stale
    documents.parsed[number] = (document, given, _entries(document), len(text))
    added = {
        name: len(getattr(document, name))
        for name in sorted(sections(type(document)))
        if name in data
    }
    return added, {name: getattr(merged, name) for name in sorted(given)}
