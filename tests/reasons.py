"""Reasons read as written by a person: every journal reason the suites produce is
checked (tests/conftest.py) for what a program leaks into text and a person would not
write: Python's `None` or a Python type's name (`got NoneType`), a bytes repr
(`b'...'`), a bare epoch number where an instant should be ISO-8601 (one may follow it
in brackets: `2026-12-07T08:00:00.000Z [1796630400]`)."""

from __future__ import annotations

import re

# Each: what it finds, and what it is called in a failure's message.
UNREADABLE = (
    (re.compile(r"(?<!['\"\w])None(?!['\"\w])"), "Python's None"),
    (re.compile(r"(?<![\w'\"])(?:b'[^'\n]*'|b\"[^\"\n]*\")"), "a bytes repr"),
    (
        re.compile(
            r"\b(?:NoneType|(?:got|is)(?: a| an| JSON| a JSON)? (?:int|str|dict|list|float|bool))\b"
        ),
        "a Python type's name (write JSON's: null, a number, a string, an array, an object)",
    ),
    # Ten digits starting with 1 (epoch seconds from 2001 to 2033, what tests and clients
    # use), not in brackets after an ISO instant, nor part of a longer word, an id or a
    # quoted value. A phone number (6512345678) is not one.
    (
        re.compile(r"(?<![\w\[.'\"/:+-])1[0-9]{9}(?:\.[0-9]+)?(?![\w\].'\"/:-])"),
        "a bare epoch number (write ISO-8601, the epoch in brackets after it)",
    ),
)


def unreadable(reason: str) -> list[str]:
    """What is wrong with `reason`, in words; empty when nothing is."""
    return [
        f"{name}: {match.group(0)!r} in {reason!r}"
        for pattern, name in UNREADABLE
        for match in pattern.finditer(reason)
    ]
