"""Durations as people type them: `90s`, `15m`, `2h`, `1d`, `1h30m`, `-5m`, or plain seconds."""

from __future__ import annotations

import math
import re

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"  # ASCII digits: a regex's \d takes any script's digits
_PART = re.compile(rf"({_NUMBER})([wdhms])")
_WHOLE = re.compile(rf"[+-]?(?:{_NUMBER}|(?:{_NUMBER}[wdhms])+)")


def parse_duration(text: str) -> float:
    """Seconds in `text`: a number (seconds), or parts with units w, d, h, m, s, largest
    first, each unit at most once (`1h30m`, not `30m1h`). A leading `-` goes back."""
    cleaned = text.strip().lower()
    if not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 15m, 2h, 1d, 1h30m")
    sign = -1.0 if cleaned.startswith("-") else 1.0
    body = cleaned.lstrip("+-")
    if not body[-1].isalpha():
        seconds = float(body)
    else:
        seconds = 0.0
        order = list(UNITS)
        last = -1
        for number, unit in _PART.findall(body):
            position = order.index(unit)
            if position <= last:
                raise ValueError(f"{text!r}: give units once each, largest first (1h30m)")
            last = position
            seconds += float(number) * UNITS[unit]
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is too long a duration")
    return sign * seconds


def format_duration(seconds: float) -> str:
    """Whole seconds in the largest units: 5400 -> `1h30m`, -90 -> `-1m30s`, 0 -> `0s`."""
    whole = round(seconds)
    sign = "-" if whole < 0 else ""
    left = abs(whole)
    parts = []
    for unit, size in UNITS.items():
        if unit == "w":
            continue  # days read better than weeks for clock offsets
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0s")
