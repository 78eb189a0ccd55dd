"""Statements the inline SQLite store runs straight on the sqlite3 driver.

SQLAlchemy compiles a statement once (its compiled cache) but still spends
more Python on every execution, building an execution context and a cursor
result, than SQLite takes for the statement itself (bench/HISTORY.md,
"Prepared statements"). So the inline store prepares a statement the second
time it sees that very object (a statement a module builds once and runs on
every request; one built per call is run through SQLAlchemy, as correctly):
the SQL text SQLAlchemy compiled, where each parameter goes, how each value is
converted, and the keys of the rows. Later executions run the text on the driver and hand back
a SQLAlchemy `Result` with the same rows, keys and errors.

What SQLAlchemy does at execution beyond that (Python-side column defaults,
expanding IN parameters, escaped parameter names, parameters computed by a
callable) makes a statement unpreparable: it keeps going through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError

Converter = Callable[[Any], Any] | None

# Where a positional parameter's value comes from: the caller's parameters by
# name, or a value fixed in the statement (`column > 0`).
FROM_CALLER = object()


class PreparedResult(IteratorResult):
    """A SQLAlchemy result over rows already fetched, with the cursor's rowcount."""

    rowcount: int = -1


@dataclass(frozen=True, slots=True)
class Prepared:
    sql: str
    # (name, fixed value or FROM_CALLER, converter) per `?` of the SQL, in order
    slots: tuple[tuple[str, Any, Converter], ...]
    metadata: SimpleResultMetaData | None  # None: the statement returns no rows
    row_converters: tuple[Converter, ...] | None  # None: rows need no conversion

    def run(self, raw: sqlite3.Connection, parameters: Mapping[str, Any]) -> PreparedResult:
        arguments = [
            (parameters[name] if fixed is FROM_CALLER else fixed)
            if convert is None
            else convert(parameters[name] if fixed is FROM_CALLER else fixed)
            for name, fixed, convert in self.slots
        ]
        try:
            cursor = raw.execute(self.sql, arguments)
            rows: list[Any] = cursor.fetchall() if self.metadata is not None else []
        except sqlite3.Error as error:
            # The exception class SQLAlchemy would raise (IntegrityError, ...).
            raise DBAPIError.instance(self.sql, arguments, error, sqlite3.Error) from error
        if self.row_converters is not None:
            rows = [_converted(row, self.row_converters) for row in rows]
        result = PreparedResult(self.metadata or _NO_ROWS, iter(rows))
        result.rowcount = cursor.rowcount
        return result


_NO_ROWS = SimpleResultMetaData([])


def _converted(row: Sequence[Any], converters: Sequence[Converter]) -> tuple[Any, ...]:
    return tuple(
        value if convert is None else convert(value)
        for value, convert in zip(row, converters, strict=True)
    )


def prepare(
    statement: Any, keys: Sequence[str], row_keys: Sequence[str] | None, dialect: Dialect
) -> Prepared | None:
    """The statement, executed with parameters named `keys`, as a Prepared; None when
    it needs something only SQLAlchemy's execution does. `row_keys` are the keys of
    the rows SQLAlchemy's own execution of it returned (None: it returned none)."""
    if not isinstance(statement, Select | Insert | Update | Delete):
        return None
    # The same compilation SQLAlchemy's execute makes (it passes the sorted keys).
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if (
        not compiled.positional
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
        or compiled.positiontup is None
    ):
        return None
    slots = []
    for name in compiled.positiontup:
        bind = compiled.binds.get(name)
        if bind is None or bind.callable is not None or bind.expanding:
            return None
        if name in keys:
            fixed = FROM_CALLER
        elif bind.required:
            return None  # SQLAlchemy names the missing parameter
        else:
            fixed = bind.value
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        slots.append((name, fixed, convert))
    metadata = None
    row_converters = None
    returns_rows = isinstance(statement, Select) or bool(compiled.effective_returning)
    if (row_keys is not None) != returns_rows:
        return None
    if row_keys is not None:
        columns = (
            statement.selected_columns
            if isinstance(statement, Select)
            else compiled.effective_returning
        )
        if row_keys is None or len(row_keys) != len(columns):
            return None
        converters = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        metadata = SimpleResultMetaData(list(row_keys))
        if any(convert is not None for convert in converters):
            row_converters = converters
    return Prepared(compiled.string, tuple(slots), metadata, row_converters)
