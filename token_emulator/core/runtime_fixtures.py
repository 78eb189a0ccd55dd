"""Fixtures added at run time (`POST /_emulator/fixtures`), until the next reset.

A document has the schema of the vendor's fixture file, in JSON, and adds
entries only: top-level settings come from the file. Each document is checked
as the file would be, then together with the file and every document added
before it (from any process, so they are kept in the store), so a new API key
may name a user from the file and a duplicate id is refused.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Float, Integer, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from token_emulator.core.fixtures import (
    FixtureError,
    FixtureModel,
    FixtureProblem,
    raise_problems,
    validate,
)
from token_emulator.core.store import metadata

if TYPE_CHECKING:
    from token_emulator.core.vendor import Vendor
    from token_emulator.core.world import World

added_fixtures = Table(
    "emulator_added_fixtures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor", String, nullable=False),
    Column("document", Text, nullable=False),
    Column("added_at", Float, nullable=False),
)


def _sections(model: type[FixtureModel]) -> set[str]:
    """The fields of a fixture schema that hold lists of entries."""
    return {
        name
        for name, info in model.model_fields.items()
        if getattr(info.annotation, "__origin__", None) is list
    }


def _parse(vendor: Vendor, data: Any, source: str) -> FixtureModel:
    if not isinstance(data, dict):
        raise FixtureError([FixtureProblem(source, "", "", "fixtures must be a JSON object")])
    sections = _sections(vendor.fixture_model)
    settings = sorted(
        k for k in data if k in vendor.fixture_model.model_fields and k not in sections
    )
    if settings:
        message = "top-level settings come from the fixture file; at run time add entries only"
        raise FixtureError([FixtureProblem(source, "", name, message) for name in settings])
    # No fixture directory: an entry must carry key contents, not name key files.
    return validate(vendor.fixture_model, data, source, base_dir=None, cross_check=False)


def _merged(base: FixtureModel, documents: list[FixtureModel]) -> FixtureModel:
    update = {
        name: [entry for model in (base, *documents) for entry in getattr(model, name)]
        for name in _sections(type(base))
    }
    return base.model_copy(update=update)


async def add(world: World, vendor: Vendor, data: Any, now: float) -> dict[str, int]:
    """Check and store one document; how many entries of each section it added."""
    source = f"{vendor.fixture_file} (added at run time)"
    document = _parse(vendor, data, source)
    async with world.store.read() as conn:
        query = select(added_fixtures.c.document).where(added_fixtures.c.vendor == vendor.id)
        earlier = [
            validate(vendor.fixture_model, json.loads(text), source, cross_check=False)
            for text in await conn.scalars(query.order_by(added_fixtures.c.id))
        ]
    raise_problems(_merged(world.fixtures[vendor.id], [*earlier, document]), source)
    write = vendor.add_fixtures or vendor.seed
    try:
        # Exclusive, as a seed: upserts across tables while requests write would deadlock.
        async with world.store.write(exclusive=True) as conn:
            await write(conn, world.store, document)
            await conn.execute(
                added_fixtures.insert().values(
                    vendor=vendor.id, document=json.dumps(data), added_at=now
                )
            )
    except IntegrityError as error:
        # Something made through the vendor's API since (a user's email, say).
        message = f"conflicts with what the store holds now ({error.orig})"
        raise FixtureError([FixtureProblem(source, "", "", message)]) from None
    world.store.changed()  # fixture lookups this process remembers are stale
    return {
        name: len(getattr(document, name))
        for name in sorted(_sections(type(document)))
        if name in data
    }
