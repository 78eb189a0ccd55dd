"""Fixture files: read TOML, validate against each vendor's schema, name what is wrong.

A vendor describes its fixture file with a `FixtureModel` (pydantic). Errors
come back as `FixtureProblem`s that name the file, the entry and the field,
so `token-emulator check` can say exactly where to look.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from token_emulator.core.fixture_links import Reference, Unique

# Ids are stored as 64-bit integers.
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
# Ten years at most, so an expiry always stays a date the clock can show.
MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600
Lifetime = Annotated[int, Field(gt=0, le=MAX_LIFETIME_SECONDS)]

BASE_DIR = "base_dir"  # the validation-context key for resolving file references


def read_referenced_file(context: Any, relative: str) -> str:
    """Text of a file a fixture names, relative to the fixture directory."""
    base_dir = (context or {}).get(BASE_DIR)
    if base_dir is None:
        raise ValueError("file references need a fixture directory; give the contents instead")
    path = Path(base_dir) / relative
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {relative}: {error.__class__.__name__}") from None


class FixtureModel(BaseModel):
    """Base of every fixture schema: strict types, no unknown keys (typos surface)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    # The field that tells an entry of a section from the others in the same file: the
    # same entry, edited, keeps it (core/applied_fixtures.py).
    IDENTITY: ClassVar[str] = "id"
    # What problems() compares across entries besides each section's IDENTITY, always
    # unique (core/fixture_links.py): a vendor whose problems() compares more declares
    # it here, so that fixtures added at run time are checked against the earlier
    # entries that matter.
    UNIQUE: ClassVar[tuple[Unique, ...]] = ()
    REFERENCES: ClassVar[tuple[Reference, ...]] = ()

    def problems(self) -> list[Problem]:
        """Checks across entries (duplicate ids, references); override per vendor."""
        return []


def sections(model: type[FixtureModel]) -> list[str]:
    """The fields of a vendor's fixture schema that hold lists of entries; the others
    are its top-level settings."""
    return [
        name
        for name, info in model.model_fields.items()
        if getattr(info.annotation, "__origin__", None) is list
    ]


def entry_model(model: type[FixtureModel], section: str) -> type[FixtureModel]:
    """The model of one entry of a section (`list[Workspace]` -> Workspace)."""
    entry: type[FixtureModel] = model.model_fields[section].annotation.__args__[0]  # type: ignore[union-attr]
    return entry


def unique_rules(model: type[FixtureModel]) -> tuple[Unique, ...]:
    """The values no two entries may share: the model's UNIQUE, and each section's
    identity where UNIQUE does not name it already (folded, say)."""
    named = {(rule.section, rule.field) for rule in model.UNIQUE}
    identities = (
        Unique(section, entry_model(model, section).IDENTITY) for section in sections(model)
    )
    return (
        *(rule for rule in identities if (rule.section, rule.field) not in named),
        *model.UNIQUE,
    )


def top_level_settings(model: type[FixtureModel]) -> list[str]:
    """The fields of a vendor's fixture schema that are settings, not sections."""
    listed = set(sections(model))
    return [name for name in model.model_fields if name not in listed]


@dataclass(frozen=True)
class Problem:
    """A cross-entry problem, before it is tied to a file."""

    entry: str
    field: str
    message: str


@dataclass(frozen=True)
class FixtureProblem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": {self.entry}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"


class FixtureConflict(Exception):
    """A fixture entry that cannot be written over the state as it is now: say, a message
    whose conversation was deleted through the vendor's API. The message says which."""


class FixtureError(Exception):
    def __init__(self, problems: Sequence[FixtureProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _masked(key: str) -> str:
    """Enough of a key (which may be a secret) to find its entry, not to use it."""
    return repr(key[: min(12, len(key) // 2)] + "...")


def duplicates(section: str, entries: Sequence[Any], key: str = "id") -> list[Problem]:
    values = list(map(attrgetter(key), entries))
    if len(set(values)) == len(values):
        # The usual answer, in C: every run-time addition checks all entries added
        # before it, so this is what keeps an addition's cost near its own size.
        return []
    seen: set[Any] = set()
    found = []
    for index, value in enumerate(values):
        if value in seen:
            shown = _masked(value) if key == "key" else repr(value)
            found.append(Problem(f"{section}[{index}]", key, f"duplicate {key} {shown}"))
        seen.add(value)
    return found


def _entry_label(data: Any, loc: Sequence[str | int]) -> tuple[str, list[str | int]]:
    """Split a pydantic location into "section[index] (id 'x')" and the field path."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        label = f"{section}[{index}]"
        try:
            entry = data[section][index]
            if isinstance(entry, Mapping) and "id" in entry:
                label += f" (id {entry['id']!r})"
            elif isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
                # Keys may be secrets: enough to find the entry, not to use it.
                label += f" (key {_masked(entry['key'])})"
        except (KeyError, IndexError, TypeError):
            pass
        return label, list(loc[2:])
    return "", list(loc)


def validate(
    model: type[FixtureModel],
    data: Any,
    source: str,
    base_dir: Path | None = None,
    *,
    cross_check: bool = True,
) -> FixtureModel:
    """Validate parsed data (from TOML or JSON); raise FixtureError naming `source`.

    `base_dir` is where file references in the data (such as key files) are
    resolved; without it, a fixture cannot name files. Without `cross_check`,
    only each entry is checked (entries added at run time refer to others).
    """
    try:
        parsed = model.model_validate(data, context={BASE_DIR: base_dir})
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            entry, field = _entry_label(data, item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(FixtureProblem(source, entry, ".".join(str(p) for p in field), message))
        raise FixtureError(problems) from None
    if cross_check:
        raise_problems(parsed, source)
    return parsed


def raise_problems(parsed: FixtureModel, source: str) -> None:
    """Raise FixtureError for the cross-entry problems of `parsed`, if any."""
    cross = parsed.problems()
    if cross:
        raise FixtureError([FixtureProblem(source, p.entry, p.field, p.message) for p in cross])


def load_file(model: type[FixtureModel], path: Path) -> FixtureModel:
    """One vendor's file; a missing file means that vendor starts empty."""
    if not path.exists():
        return model()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError([FixtureProblem(path.name, "", "", f"cannot read: {error}")]) from None
    except tomllib.TOMLDecodeError as error:
        raise FixtureError(
            [FixtureProblem(path.name, "", "", f"not valid TOML: {error}")]
        ) from None
    return validate(model, data, path.name, base_dir=path.parent)


def load_directory(
    directory: Path, files: Iterable[tuple[str, str, type[FixtureModel]]]
) -> dict[str, FixtureModel]:
    """Every vendor's file in `directory`: `files` is (vendor id, file name, model).

    All files are read before failing, so one run reports every problem.
    """
    if not directory.is_dir():
        raise FixtureError([FixtureProblem(str(directory), "", "", "not a directory")])
    loaded: dict[str, FixtureModel] = {}
    problems: list[FixtureProblem] = []
    for vendor_id, file_name, model in files:
        try:
            loaded[vendor_id] = load_file(model, directory / file_name)
        except FixtureError as error:
            problems.extend(error.problems)
    if problems:
        raise FixtureError(problems)
    return loaded
