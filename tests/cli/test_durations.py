"""Durations as `clock advance` takes them."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli
from token_emulator.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1d2h3m4s", 93784),
        ("90", 90),
        ("0", 0),
        ("1.5h", 5400),
        ("0.25s", 0.25),
        ("-5m", -300),
        ("+10s", 10),
        ("2H", 7200),
        (" 15m ", 900),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is not a duration"),
        ("m", "is not a duration"),
        ("15", None),
        ("1 h", "is not a duration"),
        ("1h 30m", "is not a duration"),
        ("30m1h", "largest first"),
        ("1h1h", "largest first"),
        ("1y", "is not a duration"),
        ("1e3", "is not a duration"),
        ("inf", "is not a duration"),
        ("nan", "is not a duration"),
        ("-", "is not a duration"),
        ("1h-30m", "is not a duration"),
        ("9" * 400, "too long"),
        ("\u0661\u0665m", "is not a duration"),  # Arabic-Indic digits: not ASCII
    ],
)
def test_refused_durations(text: str, problem: str | None) -> None:
    if problem is None:
        assert parse_duration(text) == 15
        return
    with pytest.raises(ValueError, match=problem):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59.6, "1m"), (90, "1m30s"), (5400, "1h30m"), (90061, "1d1h1m1s"), (-300, "-5m")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_bad_duration_is_a_usage_error(cli: Cli) -> None:
    ran = cli("clock", "advance", "soon", "--url", "http://127.0.0.1:1")
    assert ran.code == 2
    assert "'soon' is not a duration; write e.g. 90s, 15m, 2h, 1d, 1h30m" in ran.err
