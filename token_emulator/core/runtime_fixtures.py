"""Fixtures added at run time (`POST /_emulator/fixtures`), until the next reset.

A document has the schema of the vendor's fixture file, in JSON: it adds
entries, and the top-level settings it names replace the file's (web1on1's
rate limit switched off for one test, say). Each document is checked as the
file would be, then together with the file and the entries added before it (by
any process), so a new API key may name a user from the file and a duplicate id
is refused.

The documents are kept in the store, and beside them each entry under the
values the vendor's checks compare (core/fixture_links.py): an addition reads
back only the earlier entries that share a value with it or that it names, so
it costs time in proportion to its own size, and nothing of the earlier ones
stays in the process's memory.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from token_emulator.core.bodies import BodyProblem, parse_json
from token_emulator.core.clock import Clock
from token_emulator.core.fixture_links import keying, keys_of, lookup_key
from token_emulator.core.fixtures import (
    FixtureConflict,
    FixtureError,
    FixtureModel,
    FixtureProblem,
    Problem,
    entry_model,
    sections,
    top_level_settings,
    unique_rules,
    validate,
)
from token_emulator.core.storage import Connection, Store, metadata
from token_emulator.core.vendor import Vendor

# Rows made from the documents, again at any time (a world's export leaves them out).
DERIVED = {"derived": True}

added_fixtures = Table(
    "emulator_added_fixtures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor", String, nullable=False),
    Column("document", Text, nullable=False),
    Column("added_at", Float, nullable=False),
    # What the bound counts (entries, characters of JSON) and the settings the document
    # gives (JSON, null: none), written with it; and how its entries were keyed
    # (fixture_links.keying). Null or another keying: to be indexed at the next start (a
    # database from before schema version 5, a document a restart edited, a release
    # that keys entries otherwise).
    Column("entries", Integer),
    Column("size", Integer),
    Column("settings", Text),
    Column("keyed_by", String),
)
# What a start, the bound and the settings in force read, without the documents (each
# long, stored past its row; the settings are a few numbers).
Index(
    "emulator_added_fixtures_counted",
    added_fixtures.c.vendor,
    added_fixtures.c.keyed_by,
    added_fixtures.c.entries,
    added_fixtures.c.size,
    added_fixtures.c.settings,
)

# Each entry of each document under each of its unique values (core/fixture_links.py:
# lookup_key), to be read back alone: an entry with two (a user's id and email) is
# written twice, which costs less than a table of entries to join.
added_entries = Table(
    "emulator_added_entries",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("document", Integer, primary_key=True),
    Column("section", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("entry", Text, nullable=False),
    info=DERIVED,
)
Index("emulator_added_entries_by_document", added_entries.c.document)

log = logging.getLogger(__name__)

# Keys asked for at once (SQLite takes at least 999 parameters in a statement).
_KEYS_PER_QUERY = 500
_ENTRIES_BY_KEY = select(
    added_entries.c.document,
    added_entries.c.section,
    added_entries.c.position,
    added_entries.c.entry,
).where(added_entries.c.key.in_(bindparam("keys", expanding=True)))


def _parse(vendor: Vendor, data: Any, source: str) -> FixtureModel:
    if not isinstance(data, dict):
        raise FixtureError([FixtureProblem(source, "", "", "fixtures must be a JSON object")])
    # No fixture directory: an entry must carry key contents, not name key files.
    return validate(vendor.fixture_model, data, source, base_dir=None, cross_check=False)


def _given_settings(model: type[FixtureModel], data: dict[str, Any]) -> dict[str, Any]:
    """The top-level settings a document gives, as it gives them."""
    return {name: data[name] for name in top_level_settings(model) if name in data}


_LABEL = re.compile(r"(?P<section>\w+)\[(?P<index>\d+)\](?P<rest>.*)", re.DOTALL)


def _checked(
    base: FixtureModel,
    earlier: dict[str, list[FixtureModel]],
    document: FixtureModel,
    source: str,
) -> FixtureModel:
    """The file's entries (`base`), the earlier ones given and `document`'s, in that
    order; FixtureError for what the vendor's checks find in `document`'s entries. The
    problems are named by the document's own positions; those of earlier entries are
    left out: each was checked when it came, and here it is seen without what it names
    in turn."""
    model = type(base)
    offsets: dict[str, int] = {}
    update: dict[str, Any] = {}
    for name in sections(model):
        before = [*getattr(base, name), *earlier.get(name, ())]
        offsets[name] = len(before)
        update[name] = [*before, *getattr(document, name)]
    joined = base.model_copy(update=update)
    found: list[Problem] = []
    for problem in joined.problems():
        label = _LABEL.fullmatch(problem.entry)
        if label is None or label["section"] not in offsets:
            found.append(problem)
            continue
        index = int(label["index"]) - offsets[label["section"]]
        if index >= 0:
            entry = f"{label['section']}[{index}]{label['rest']}"
            found.append(Problem(entry, problem.field, problem.message))
    if found:
        raise FixtureError([FixtureProblem(source, p.entry, p.field, p.message) for p in found])
    return joined


def with_document(vendor: Vendor, in_file: FixtureModel, data: Any, source: str) -> FixtureModel:
    """The file's fixtures with one more document's entries and settings, checked as a
    whole (a world created with fixtures of its own: core/worlds.py); FixtureError."""
    document = _parse(vendor, data, source)
    joined = _checked(in_file, {}, document, source)
    given = _given_settings(type(in_file), data)
    return joined.model_copy(update={name: getattr(document, name) for name in given})


def _entries(model: type[FixtureModel], data: dict[str, Any]) -> int:
    """What a document counts against the bound: its entries, and at least one (a
    document of settings alone is stored and checked too)."""
    return max(1, sum(len(data.get(name, ())) for name in sections(model)))


def _counted(model: type[FixtureModel], data: dict[str, Any], text: str) -> dict[str, Any]:
    """The columns a document is stored with besides itself (added_fixtures)."""
    given = _given_settings(model, data)  # what _settings_in_force reads back
    return {
        "entries": _entries(model, data),
        "size": len(text),
        "settings": json.dumps(given) if given else None,
        "keyed_by": keying(unique_rules(model)),
    }


def _indexed(vendor: Vendor, document: FixtureModel, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A document's rows of added_entries (without its number): each entry as it was
    sent (`data`), under the keys of its values as parsed (`document`, defaults in)."""
    rows: list[dict[str, Any]] = []
    unique = unique_rules(vendor.fixture_model)
    for section in sections(vendor.fixture_model):
        for position, entry in enumerate(getattr(document, section)):
            keys = list(keys_of(vendor.id, unique, section, entry))
            if keys:
                text = json.dumps(data[section][position])
                rows.extend(
                    {"key": key, "section": section, "position": position, "entry": text}
                    for key in keys
                )
    return rows


async def _write_index(conn: Connection, number: int, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(added_entries.insert(), [{**row, "document": number} for row in rows])


async def _forget_index(conn: Connection, documents: Sequence[int]) -> None:
    await conn.execute(delete(added_entries).where(added_entries.c.document.in_(documents)))


def _stored(vendor: Vendor, text: str, source: str) -> tuple[dict[str, Any], FixtureModel]:
    """A stored document, as sent and parsed; FixtureError if it is not one."""
    try:
        data = parse_json(text, "the document")
    except BodyProblem as problem:
        raise FixtureError([FixtureProblem(source, "", "", str(problem))]) from None
    return data, _parse(vendor, data, source)


async def index_stale(
    conn: Connection, vendors: Sequence[Vendor], *, imported: bool = False
) -> None:
    """Index the documents stored without it, or keyed otherwise than this release keys
    them (fixture_links.keying). One that is not a valid document any more is left as
    it is, with a WARNING (an older release stored what this one refuses: additions
    are then not checked against it until a reset), unless it was `imported` (an
    export edited by hand): then FixtureError."""
    for vendor in vendors:
        current = keying(unique_rules(vendor.fixture_model))
        stale = (added_fixtures.c.keyed_by.is_(None)) | (added_fixtures.c.keyed_by != current)
        query = select(added_fixtures.c.id, added_fixtures.c.document).where(
            added_fixtures.c.vendor == vendor.id, stale
        )
        for row in (await conn.execute(query)).all():
            source = f"{vendor.fixture_file} (added at run time, document {row.id})"
            try:
                data, document = _stored(vendor, row.document, source)
            except FixtureError as error:
                if imported:
                    raise
                log.warning("%s: not indexed, as it cannot be read: %s", source, error)
                continue
            await _forget_index(conn, [row.id])
            await _write_index(conn, row.id, _indexed(vendor, document, data))
            counted = _counted(vendor.fixture_model, data, row.document)
            await conn.execute(
                update(added_fixtures).where(added_fixtures.c.id == row.id).values(**counted)
            )


async def reindex(conn: Connection, vendors: Sequence[Vendor]) -> None:
    """Index every document again (a world's state was replaced by an import);
    FixtureError for one that is not a valid document."""
    await conn.execute(delete(added_entries))
    await conn.execute(update(added_fixtures).values(keyed_by=None))
    await index_stale(conn, vendors, imported=True)


async def forget_vendor(conn: Connection, vendor_id: str) -> None:
    """Every document added to a vendor, and its index."""
    where = added_fixtures.c.vendor == vendor_id
    documents = list(await conn.scalars(select(added_fixtures.c.id).where(where)))
    await _forget_index(conn, documents)
    await conn.execute(delete(added_fixtures).where(where))


async def yield_to_file(
    conn: Connection, vendor_id: str, fixtures: FixtureModel, *, settings: bool
) -> None:
    """At a restart that applied an edited file, the fixtures added at run time give way
    to it: an entry the file now holds (by identity) leaves the stored documents, and so
    do their settings when the file's settings were edited. Later additions are then
    checked against the file as it is, and replay no setting the file overrode. What
    changed is indexed again (index_stale)."""
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
        await _forget_index(conn, [row.id])
        where = added_fixtures.c.id == row.id
        if kept:
            edited = {"document": json.dumps(kept), "keyed_by": None}
            await conn.execute(update(added_fixtures).where(where).values(**edited))
        else:
            await conn.execute(delete(added_fixtures).where(where))


# The most JSON the documents added to one vendor may hold in all until a reset, however
# few entries they have (a document is at most the body limit, 64 KiB by default).
MAX_ADDED_BYTES = 64 * 1024 * 1024


async def _check_bound(
    conn: Connection, vendor_id: str, counted: dict[str, Any], max_entries: int, source: str
) -> None:
    totals = select(
        func.coalesce(func.sum(added_fixtures.c.entries), 0),
        func.coalesce(func.sum(added_fixtures.c.size), 0),
    ).where(added_fixtures.c.vendor == vendor_id)
    entries, size = (await conn.execute(totals)).one()
    total, size = int(entries) + counted["entries"], int(size) + counted["size"]
    if total > max_entries:
        over = f"{total:,} entries added at run time, over the {max_entries:,}"
    elif size > MAX_ADDED_BYTES:
        over = f"{size:,} bytes of JSON added at run time, over the {MAX_ADDED_BYTES:,}"
    else:
        return
    message = (
        f"would hold {over} the emulator keeps until a reset (--max-added-entries): "
        "reset, or put them in the fixture file"
    )
    raise FixtureError([FixtureProblem(source, "", "", message)])


async def _earlier_entries(
    conn: Connection, vendor: Vendor, document: FixtureModel, own: set[int], source: str
) -> dict[str, list[FixtureModel]]:
    """The entries added before that the document's could clash with or name: those with
    a unique value one of its entries has (`own`, their keys), and those its references
    name."""
    model = vendor.fixture_model
    wanted = set(own)
    for reference in model.REFERENCES:
        identity = entry_model(model, reference.target).IDENTITY
        for entry in getattr(document, reference.section):
            wanted.update(
                lookup_key(vendor.id, reference.target, identity, value)
                for value in reference.values(entry)
            )
    found: dict[tuple[int, str, int], str] = {}
    asked = sorted(wanted)
    for start in range(0, len(asked), _KEYS_PER_QUERY):
        chunk = asked[start : start + _KEYS_PER_QUERY]
        for row in await conn.execute(_ENTRIES_BY_KEY, {"keys": chunk}):
            found[(row.document, row.section, row.position)] = row.entry
    earlier: dict[str, list[FixtureModel]] = {}
    for (_document, section, _position), text in sorted(found.items()):
        parsed = validate(entry_model(model, section), json.loads(text), source, cross_check=False)
        earlier.setdefault(section, []).append(parsed)
    return earlier


async def _settings_in_force(
    conn: Connection, vendor: Vendor, given: dict[str, Any], source: str
) -> dict[str, Any]:
    """The settings the documents added so far put in force, then `given`, parsed."""
    query = (
        select(added_fixtures.c.settings)
        .where(added_fixtures.c.vendor == vendor.id, added_fixtures.c.settings.is_not(None))
        .order_by(added_fixtures.c.id)
    )
    in_force: dict[str, Any] = {}
    for text in await conn.scalars(query):
        in_force.update(json.loads(text))
    in_force.update(given)
    parsed = validate(vendor.fixture_model, in_force, source, cross_check=False)
    return {name: getattr(parsed, name) for name in in_force}


async def add(
    store: Store,
    vendor: Vendor,
    in_file: FixtureModel,
    data: Any,
    now: float,
    max_entries: int = 100_000,
) -> tuple[dict[str, int], dict[str, Any]]:
    """Check and store one document, against the vendor's fixture file (`in_file`) and the
    entries added before it; how many entries of each section it added, and the
    settings it put in force. The documents may hold `max_entries` in all (they are
    kept in the store until a reset)."""
    source = f"{vendor.fixture_file} (added at run time)"
    model = vendor.fixture_model
    document = _parse(vendor, data, source)
    given = _given_settings(model, data)
    text = json.dumps(data)
    counted = _counted(model, data, text)
    rows = _indexed(vendor, document, data)
    try:
        # Exclusive, as a seed: upserts across tables while requests write would deadlock.
        # The checks run inside it too, so two additions at once cannot both pass them.
        async with store.write(exclusive=True) as conn:
            await _check_bound(conn, vendor.id, counted, max_entries, source)
            own = {row["key"] for row in rows}
            earlier = await _earlier_entries(conn, vendor, document, own, source)
            _checked(in_file, earlier, document, source)
            if given:
                # The settings in force, with this document's entries only.
                in_force = await _settings_in_force(conn, vendor, given, source)
                only_new = {name: getattr(document, name) for name in sections(model)}
                await vendor.seed(conn, store, in_file.model_copy(update=in_force | only_new))
            else:
                await (vendor.add_fixtures or vendor.seed)(conn, store, document)
            stored = added_fixtures.insert().values(
                vendor=vendor.id, document=text, added_at=now, **counted
            )
            number = (await conn.execute(stored.returning(added_fixtures.c.id))).scalar_one()
            await _write_index(conn, number, rows)
            await Clock.count_fixture_change(conn)
    except (IntegrityError, FixtureConflict) as error:
        # Something made through the vendor's API since (a user's email, say).
        cause = error.orig if isinstance(error, IntegrityError) else error
        message = f"conflicts with what the store holds now ({cause})"
        raise FixtureError([FixtureProblem(source, "", "", message)]) from None
    store.changed()  # fixture lookups this process remembers are stale
    added = {name: len(getattr(document, name)) for name in sorted(sections(model)) if name in data}
    return added, {name: getattr(document, name) for name in sorted(given)}
