"""Reading JSON from the outside world without letting it break us later.

Python's json module accepts NaN, Infinity, lone UTF-16 surrogates and
arbitrarily deep nesting. Each of those parses, then fails when stored in the
database or rendered back as JSON, so they are refused at the door.
"""

from __future__ import annotations

import json
import math
from typing import Any


class BodyProblem(ValueError):
    """Why some JSON text is refused; the message is the journal's reason."""


def _no_constants(name: str) -> Any:
    raise BodyProblem(f"JSON holds {name}, which is not JSON")


# Deeper JSON is refused: a value stored near Python's recursion limit could
# no longer be rendered inside a list or a state page, which add levels.
MAX_DEPTH = 64


def _check_depth_and_numbers(value: Any, what: str) -> None:
    """One walk: nesting deeper than MAX_DEPTH, and numbers that are not finite (NaN;
    1e999 reads as Infinity)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BodyProblem(f"{what} is nested more than {MAX_DEPTH} levels deep")
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1))
                elif isinstance(child, float) and not math.isfinite(child):
                    raise BodyProblem(f"{what} holds NaN or Infinity")
        elif isinstance(item, float) and not math.isfinite(item):
            raise BodyProblem(f"{what} holds NaN or Infinity")


def ensure_storable(value: Any, what: str = "JSON", source: bytes | str | None = None) -> None:
    """Refuse values the store or a JSON response could not take back; `source`, the
    JSON text `value` was read from, if there is one."""
    _check_depth_and_numbers(value, what)
    if source is not None and _plain(source):
        # ASCII text without a \u escape cannot hold a lone surrogate: no need for the
        # round trip through json.dumps (bench/HISTORY.md, "Storable JSON").
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BodyProblem(f"{what} holds text that is not valid Unicode") from None


# Built once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def _loads(raw: bytes | str) -> Any:
    """json.loads(raw, parse_constant=_no_constants), with the decoder built once."""
    if isinstance(raw, bytes):
        raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
    elif raw.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    return _DECODER.decode(raw)


def parse_json(raw: bytes | str, what: str = "body") -> Any:
    try:
        value = _loads(raw)
    except BodyProblem:
        raise BodyProblem(f"{what} holds NaN or Infinity, which is not JSON") from None
    except RecursionError:
        raise BodyProblem(f"{what} is nested too deeply") from None
    except ValueError:
        raise BodyProblem(f"{what} is not JSON") from None
    ensure_storable(value, what, raw)
    return value


def _plain(raw: bytes | str) -> bool:
    if isinstance(raw, bytes):
        # A NUL byte means UTF-16 or UTF-32 (json.detect_encoding): there a \u escape
        # is not the two bytes b"\\u", and ASCII text is ASCII bytes with NULs between.
        return raw.isascii() and b"\\u" not in raw and b"\x00" not in raw
    return raw.isascii() and "\\u" not in raw


def parse_json_object(raw: bytes | str, what: str = "body") -> dict[str, Any]:
    value = parse_json(raw, what)
    if not isinstance(value, dict):
        raise BodyProblem(f"{what} is {json_kind(value)}, not an object")
    return value


def json_kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words, for a reason: it names what the
    client sent, not Python's type (`list`, `NoneType`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def json_text(value: object, limit: int = 40) -> str:
    """A parsed JSON value written back as JSON (`[null, null]`, `"abc"`), clipped."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not from JSON after all
        text = json_kind(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def parse_optional_object(raw: bytes, what: str = "body") -> dict[str, Any]:
    """A JSON object, where an empty (or all-whitespace) body means `{}`."""
    return parse_json_object(raw, what) if raw.strip() else {}
