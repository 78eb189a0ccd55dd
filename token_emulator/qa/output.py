"""What the QA commands print: aligned tables for people, JSON with `--json`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class OutputFailed(Exception):
    """A file a command was told to write cannot be written; the message says which."""


def deliver(text: str, path: Path | None) -> None:
    """`text` to stdout, or to the file `path` (a command's --output)."""
    if path is None:
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise OutputFailed(f"cannot write {path}: {error.strerror}") from None


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def cell(value: Any) -> str:
    """One line per row whatever a value holds (a reason may quote hostile input)."""
    if value is None:
        return "-"
    text = str(value)
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int] = ()
) -> list[str]:
    """Lines of an aligned table; the last column is not padded. `widths` are minimums."""
    cells = [[cell(value) for value in row] for row in rows]
    sizes = [len(header) for header in headers]
    for index, minimum in enumerate(widths):
        sizes[index] = max(sizes[index], minimum)
    for row in cells:
        for index, text in enumerate(row):
            sizes[index] = max(sizes[index], len(text))
    return [_line(headers, sizes), *(_line(row, sizes) for row in cells)]


def _line(values: Sequence[str], sizes: Sequence[int]) -> str:
    padded = [text.ljust(size) for text, size in zip(values[:-1], sizes, strict=False)]
    return "  ".join([*padded, values[-1]]).rstrip()


def pairs(rows: Sequence[tuple[str, Any]]) -> list[str]:
    """`name  value` lines, names aligned."""
    width = max(len(name) for name, _ in rows)
    return [f"{name.ljust(width)}  {cell(value)}" for name, value in rows]


def emit(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)


def note(message: str) -> None:
    """Progress and hints go to stderr, so stdout stays the data."""
    print(message, file=sys.stderr, flush=True)
