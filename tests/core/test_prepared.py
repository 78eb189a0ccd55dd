"""Prepared statements (core/prepared.py) answer exactly as SQLAlchemy's execution does.

Each statement runs through a real inline store on a SQLite file: the first
two executions go through SQLAlchemy, later ones through the prepared form;
the test compares what callers read from both.
"""

from __future__ import annotations

import gc
import uuid
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from token_emulator.core.storage import AutoId, Store, open_store
from token_emulator.core.storage.inline_sqlite import InlineSqliteStore
from token_emulator.core.storage.prepared import Prepared

pytestmark = pytest.mark.anyio

tables = MetaData()
things = Table(
    "prepared_things",
    tables,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("name", String, nullable=False, unique=True),
    Column("open", Boolean, nullable=False),
    Column("weight", Float, nullable=True),
    Column("count", Integer, nullable=False),
)
with_default = Table(
    "prepared_defaults",
    tables,
    Column("id", String, primary_key=True),
    Column("made", String, nullable=False, default=lambda: uuid.uuid4().hex),
)

INSERT = things.insert()
BY_NAME = select(things).where(things.c.name == bindparam("want_name"))
OPEN_HEAVY = select(things.c.name, things.c.open).where(
    things.c.open.is_(True), things.c.weight > 1.5
)
COUNTED = select(func.count().label("n"), func.max(things.c.weight))
BUMP = (
    update(things)
    .where(things.c.name == bindparam("want_name"), things.c.count < 3)
    .values(count=things.c.count + 1)
    .returning(things.c.count, things.c.open)
)
CLOSE_ALL = update(things).values(open=False)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[InlineSqliteStore]:
    opened = open_store(f"sqlite+pysqlite:///{tmp_path / 'prepared.sqlite3'}")
    assert isinstance(opened, InlineSqliteStore)
    async with opened.write() as conn:
        for table in tables.sorted_tables:
            await conn.execute(CreateTable(table))
    yield opened
    await opened.close()


def prepared_count(store: InlineSqliteStore) -> int:
    """The statements prepared, by the store's connections alike (they share the plans)."""
    return sum(isinstance(plan, Prepared) for _statement, plan in store.plans.plans.values())


async def insert(store: Store, **values: Any) -> None:
    async with store.write() as conn:
        await conn.execute(INSERT, values)


async def read_each_way(store: Store, statement: Any, **parameters: Any) -> list[Any]:
    """What three executions of one statement object read: two through SQLAlchemy, then
    prepared. Rows as tuples, with their keys and their values' types."""
    seen = []
    for _ in range(3):
        async with store.read() as conn:
            result = await conn.execute(statement, parameters or None)
            keys = tuple(result.keys())
            rows = [(tuple(row), [type(value) for value in row]) for row in result]
        seen.append((keys, rows))
    return seen


async def test_rows_keys_and_types_match_sqlalchemy(store: InlineSqliteStore) -> None:
    await insert(store, name="a", open=True, weight=2.5, count=0)
    await insert(store, name="b", open=False, weight=None, count=1)
    await insert(store, name="c", open=True, weight=1.0, count=2)
    for statement, parameters in [
        (BY_NAME, {"want_name": "a"}),
        (BY_NAME, {"want_name": "nobody"}),
        (OPEN_HEAVY, {}),
        (COUNTED, {}),
    ]:
        through_sqlalchemy, again, prepared = await read_each_way(store, statement, **parameters)
        assert through_sqlalchemy == again == prepared
    # Boolean columns come back as bool, not SQLite's 0/1, on the prepared way too.
    by_name = await read_each_way(store, BY_NAME, want_name="a")
    assert by_name[2] == (
        ("id", "name", "open", "weight", "count"),
        [((1, "a", True, 2.5, 0), [int, str, bool, float, int])],
    )
    async with store.read() as conn:
        row = (await conn.execute(BY_NAME, {"want_name": "a"})).one()
    assert row.open is True and row.weight == 2.5 and row._mapping["name"] == "a"
    assert prepared_count(store) == 4  # INSERT; BY_NAME, OPEN_HEAVY, COUNTED


async def test_updates_return_rows_and_rowcount(store: InlineSqliteStore) -> None:
    await insert(store, name="a", open=True, weight=None, count=0)
    answers = []
    for _ in range(5):
        async with store.write() as conn:
            answers.append((await conn.execute(BUMP, {"want_name": "a"})).one_or_none())
    # The conditional UPDATE stops at count 3, prepared (third run on) or not.
    assert [None if row is None else tuple(row) for row in answers] == [
        (1, True),
        (2, True),
        (3, True),
        None,
        None,
    ]
    counts = []
    for _ in range(3):
        async with store.write() as conn:
            counts.append((await conn.execute(CLOSE_ALL)).rowcount)
    assert counts == [1, 1, 1]


async def test_constraint_errors_are_sqlalchemys(store: InlineSqliteStore) -> None:
    """Callers catch sqlalchemy.exc.IntegrityError (web1on1 records, run-time fixtures);
    the failed statement leaves the rest of its transaction alone."""
    for attempt in range(4):
        with pytest.raises(IntegrityError):
            async with store.write() as conn:
                await conn.execute(INSERT, {"name": f"ok{attempt}", "open": True, "count": 0})
                await conn.execute(INSERT, {"name": "dup", "open": True, "count": 0})
                await conn.execute(INSERT, {"name": "dup", "open": True, "count": 0})
    async with store.read() as conn:
        names = (await conn.scalars(select(things.c.name))).all()
    assert names == []  # each failed block was undone whole


async def test_what_needs_sqlalchemy_stays_with_it(store: InlineSqliteStore) -> None:
    """A Python-side column default is computed by SQLAlchemy at execution: the statement
    is never prepared, and every row still gets its default."""
    statement = with_default.insert()
    for index in range(4):
        async with store.write() as conn:
            await conn.execute(statement, {"id": str(index)})
    async with store.read() as conn:
        made = (await conn.scalars(select(with_default.c.made))).all()
    assert len(set(made)) == 4 and all(len(value) == 32 for value in made)
    assert prepared_count(store) == 0


async def test_statements_built_per_call_are_not_kept(store: InlineSqliteStore) -> None:
    for index in range(3000):
        async with store.read() as conn:
            query = select(things).where(things.c.name == f"n{index}")
            assert (await conn.execute(query)).first() is None
    reader = store._reading._conn  # type: ignore[attr-defined]
    assert prepared_count(store) == 0
    assert len(reader._sightings) <= 1024


async def test_statements_built_per_call_are_not_kept_alive(store: InlineSqliteStore) -> None:
    """Their bound values come with them (a web1on1 record can be 64 KiB): the store's
    memory of what it has seen must not hold them once the caller is done."""
    alive = []
    for index in range(50):
        statement = INSERT.values(name=f"big{index}", open=True, count=0, weight=None)
        async with store.write() as conn:
            await conn.execute(statement, {"name": "x" * 100_000 + str(index)})
        alive.append(weakref.ref(statement))
    del statement
    gc.collect()
    # SQLAlchemy's compiled cache keeps the statement it compiled for the shape: the first.
    assert [index for index, ref in enumerate(alive) if ref() is not None] == [0]


async def test_a_statement_at_a_dead_ones_address_is_not_taken_for_it(
    store: InlineSqliteStore,
) -> None:
    """Sightings are keyed by id(): a new statement may get a collected one's id, and
    must then count as first seen, not run with the other's plan."""
    await insert(store, name="a", open=True, weight=2.5, count=0)
    wrong = []
    for index in range(200):
        # The same row keys, other answers, each dropped at once: CPython often hands
        # the next one the same address, and a plan keyed by it alone would answer it.
        wanted = "a" if index % 2 else "nobody"
        async with store.read() as conn:
            result = await conn.execute(select(things.c.name).where(things.c.name == wanted))
            rows = [tuple(row) for row in result]
        if rows != ([("a",)] if wanted == "a" else []):
            wrong.append((index, rows))
    assert wrong == []


async def test_a_plan_goes_with_its_statement(store: InlineSqliteStore) -> None:
    """A plan holds the values fixed in its statement: one built per call and run twice
    in it (a retry, say) must not leave its plan, and those values, behind."""
    await insert(store, name="a", open=True, weight=None, count=0)
    name = "a"
    for index in range(200):
        big = f"{index:04d}" + "x" * 50_000
        statement = update(things).where(things.c.name == bindparam("want_name"))
        statement = statement.values(name=big, count=index)
        async with store.write() as conn:
            await conn.execute(statement, {"want_name": name})
            await conn.execute(statement, {"want_name": big})  # prepared on this sighting
        name = big
    del statement
    gc.collect()
    writer = store._write_door  # type: ignore[attr-defined]
    # What is left is the statement SQLAlchemy's compiled cache keeps alive: one.
    assert [ref() is not None for ref, _plan in writer._plans.values()] == [True]
