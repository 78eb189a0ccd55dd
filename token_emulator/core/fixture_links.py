"""What a vendor's cross-entry checks compare: the values no two entries of a section
may share, and the fields by which one entry names another.

A vendor declares them on its fixture model (`UNIQUE`, `REFERENCES`, beside its
`problems()` in vendors/<vendor>/models.py). Fixtures added at run time are then
checked against only the earlier entries these lead to, found through keys kept in
the store (core/runtime_fixtures.py), instead of against every earlier entry held
in memory: an addition costs time in proportion to its own size, and a reset leaves
nothing of them in the process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Bumped whenever lookup_key computes its keys another way: the documents indexed
# under the old way are then indexed again at the next start (keying).
KEY_SCHEME = 1


@dataclass(frozen=True)
class Unique:
    """No two entries of `section` may have the same `field` (compared after `fold`)."""

    section: str
    field: str
    fold: Callable[[str], str] | None = None  # emails compare case-insensitively

    def value(self, entry: object) -> Any:
        value = getattr(entry, self.field)
        if self.fold is not None and isinstance(value, str):
            return self.fold(value)
        return value


@dataclass(frozen=True)
class Reference:
    """`field` of an entry of `section` names an entry of `target` by its identity (one
    value or a list of them; null names none)."""

    section: str
    field: str
    target: str

    def values(self, entry: object) -> list[Any]:
        value = getattr(entry, self.field)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


def lookup_key(vendor: str, section: str, field: str, value: Any) -> int:
    """What the store indexes a unique value by: a 64-bit number whatever the value (a
    long name fits an index), made from its JSON (so 1 and "1" differ). Two values
    that share one only read back an entry more, which the checks then compare by its
    values: it needs to be stable, not cryptographic."""
    text = f"{vendor}\0{section}\0{field}\0{json.dumps(value)}"
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def keying(unique: Sequence[Unique]) -> str:
    """What a vendor's keys are made of, in a few characters: stored with each document
    indexed, so that a release that keys entries otherwise (a value made unique, a fold
    changed) indexes the documents again instead of missing their duplicates."""
    rules = [
        [rule.section, rule.field, getattr(rule.fold, "__qualname__", None)] for rule in unique
    ]
    text = json.dumps([KEY_SCHEME, rules])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def keys_of(vendor: str, unique: Sequence[Unique], section: str, entry: object) -> Iterator[int]:
    """The keys an entry of `section` is found by: one for each of its unique values."""
    for rule in unique:
        if rule.section == section and (value := rule.value(entry)) is not None:
            yield lookup_key(vendor, section, rule.field, value)
