"""What the fixture files said when a database last started, and what changed since.

A restart on a kept database applies each entry that was added or edited in
the files since, and leaves every other entry as the vendor's API left it (a
web1on1 record renamed, a user deleted). Each entry is remembered as digests:
SHA-256 of its identity and of its whole content as loaded, so no secret of a
fixture file is kept in clear. An entry removed from a file cannot be undone
row by row (tokens and sessions hang off it), so the vendor is seeded afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, String, Table, delete, select

from token_emulator.core.fixtures import FixtureModel, sections, top_level_settings
from token_emulator.core.storage import Connection, Store, metadata

applied_fixtures = Table(
    "emulator_applied_fixtures",
    metadata,
    Column("vendor", String, primary_key=True),
    Column("section", String, primary_key=True),  # "" for the top-level settings
    Column("entry", String, primary_key=True),  # SHA-256 of the entry's identity
    Column("digest", String, nullable=False),  # SHA-256 of the entry as loaded
)

SETTINGS = ""  # the section (and entry) under which the top-level settings are kept
# A vendor whose state stands for its files as they are at the next start: what a
# database written before entries were recorded holds, where the vendor's API owned
# its state (web1on1's records). That start records the files and applies nothing.
ADOPTED = "*"


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def digests(fixtures: FixtureModel) -> dict[tuple[str, str], str]:
    """(section, identity digest) -> content digest, for every entry and the settings."""
    found = {
        (SETTINGS, SETTINGS): _digest(
            fixtures.model_dump(mode="json", include=set(top_level_settings(type(fixtures))))
        )
    }
    for section in sections(type(fixtures)):
        for entry in getattr(fixtures, section):
            identity = _digest(getattr(entry, entry.IDENTITY))
            found[(section, identity)] = _digest(entry.model_dump(mode="json"))
    return found


@dataclass(frozen=True)
class FixtureChanges:
    """How a vendor's fixture file differs from what its database last applied."""

    first: bool  # nothing was recorded: a new database, or one from before schema 2
    # The state was adopted as it is (ADOPTED): only the settings are written.
    adopted: bool = False
    settings_changed: bool = False
    # Per section, the entries added or edited since.
    changed: dict[str, list[FixtureModel]] = field(default_factory=dict)
    added: int = 0
    edited: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    # Why applying the edits failed (an entry clashing with what the API made), when it
    # did: the vendor was then seeded afresh from its file.
    conflict: str | None = None

    def changed_only(self, fixtures: FixtureModel) -> FixtureModel:
        """The file's settings, with only the entries added or edited since."""
        update = {name: self.changed.get(name, []) for name in sections(type(fixtures))}
        return fixtures.model_copy(update=update)

    def report(self, vendor_id: str) -> tuple[int, str] | None:
        """The start-up log's line on what was applied, with its level; None: nothing."""
        if self.adopted:
            return logging.INFO, (
                f"{vendor_id}: the database recorded no fixture entries (it is older than "
                "schema 2), so its state is kept as the API left it; edits made to the file "
                "before this start are not applied, later ones are"
            )
        parts = []
        if self.settings_changed:
            parts.append("settings edited")
        if self.added:
            parts.append(f"{self.added} {_entries(self.added)} added")
        if self.edited:
            parts.append(f"{self.edited} {_entries(self.edited)} edited")
        for section, count in sorted(self.removed.items()):
            parts.append(f"{count} removed from {section}")
        if self.first or not parts:
            return None
        changed = f"{vendor_id} fixtures changed since the last start: {', '.join(parts)}"
        if self.conflict is not None:
            return logging.WARNING, (
                f"{changed}; they could not be applied to the state as it is "
                f"({self.conflict}), so {vendor_id}'s whole state was seeded afresh from its file"
            )
        if self.removed:
            return logging.WARNING, f"{changed}; an entry removed re-seeds the vendor's whole state"
        return logging.INFO, f"{changed}; applied"

    @property
    def any(self) -> bool:
        return self.first or self.settings_changed or bool(self.changed or self.removed)


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


async def compare(conn: Connection, vendor_id: str, fixtures: FixtureModel) -> FixtureChanges:
    query = select(applied_fixtures).where(applied_fixtures.c.vendor == vendor_id)
    recorded = {(row.section, row.entry): row.digest for row in await conn.execute(query)}
    if not recorded:
        return FixtureChanges(first=True)
    if (ADOPTED, ADOPTED) in recorded:
        return FixtureChanges(first=False, adopted=True, settings_changed=True)
    now = digests(fixtures)
    removed: dict[str, int] = {}
    for section, _identity in recorded.keys() - now.keys():
        removed[section] = removed.get(section, 0) + 1
    changed: dict[str, list[FixtureModel]] = {}
    added = edited = 0
    for section in sections(type(fixtures)):
        for entry in getattr(fixtures, section):
            key = (section, _digest(getattr(entry, entry.IDENTITY)))
            before = recorded.get(key)
            if before == now[key]:
                continue
            changed.setdefault(section, []).append(entry)
            if before is None:
                added += 1
            else:
                edited += 1
    settings_key = (SETTINGS, SETTINGS)
    return FixtureChanges(
        first=False,
        settings_changed=recorded.get(settings_key) != now[settings_key],
        changed=changed,
        added=added,
        edited=edited,
        removed=removed,
    )


async def adopt(conn: Connection, store: Store, vendor_id: str) -> None:
    """Take the vendor's state as standing for its files at the next start (ADOPTED)."""
    row = {"vendor": vendor_id, "section": ADOPTED, "entry": ADOPTED, "digest": ADOPTED}
    await store.upsert(conn, applied_fixtures, [row])


async def record(conn: Connection, store: Store, vendor_id: str, fixtures: FixtureModel) -> None:
    """Remember `fixtures` as what the vendor's state was last seeded from."""
    await conn.execute(delete(applied_fixtures).where(applied_fixtures.c.vendor == vendor_id))
    rows: Sequence[dict[str, str]] = [
        {"vendor": vendor_id, "section": section, "entry": entry, "digest": digest}
        for (section, entry), digest in digests(fixtures).items()
    ]
    await store.upsert(conn, applied_fixtures, rows)
