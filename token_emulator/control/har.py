"""The journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): what browser
developer tools and HTTP debuggers open, for a QA engineer attaching a reproduction
to a bug. Secrets are masked as in the journal unless `reveal`."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from token_emulator import __version__
from token_emulator.core.instants import isoformat
from token_emulator.core.journal import JournalEntry


def har_document(entries: Sequence[JournalEntry], host: str, *, reveal: bool) -> dict[str, Any]:
    """Every journaled vendor request with its answer, oldest first."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "token-emulator", "version": __version__},
            "pages": [],
            "entries": [
                _entry(entry, host, reveal) for entry in entries if entry.exchange is not None
            ],
        }
    }


def _pairs(pairs: Sequence[Sequence[str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _content(shown: dict[str, Any], media_type: str) -> dict[str, Any]:
    content = {"size": shown["body_size"], "mimeType": media_type, "text": shown["body"]}
    if "encoding" in shown:
        content["encoding"] = shown["encoding"]
    return content


def _entry(entry: JournalEntry, host: str, reveal: bool) -> dict[str, Any]:
    exchange = entry.exchange
    assert exchange is not None
    shown = exchange.as_json(reveal=reveal)
    sent, answered = shown["request"], shown["answer"]
    named_host = next((value for name, value in sent["headers"] if name.lower() == "host"), host)
    query = sent["query"]
    url = f"{exchange.scheme}://{named_host}{entry.path}" + (f"?{query}" if query else "")
    request: dict[str, Any] = {
        "method": entry.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(sent["headers"]),
        "queryString": _pairs(parse_qsl(query, keep_blank_values=True)),
        "headersSize": -1,
        "bodySize": sent["body_size"],
    }
    if sent["body_size"]:
        request["postData"] = {"mimeType": exchange.media_type(), "text": sent["body"]}
    try:
        phrase = HTTPStatus(answered["status"]).phrase
    except ValueError:
        phrase = ""  # 0: the connection was dropped
    milliseconds = shown["duration_ms"]
    har: dict[str, Any] = {
        "startedDateTime": isoformat(entry.real_time),
        "time": milliseconds,
        "request": request,
        "response": {
            "status": answered["status"],
            "statusText": phrase,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(answered["headers"]),
            "content": _content(answered, exchange.media_type(answer=True)),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": answered["body_size"],
        },
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
    }
    if entry.reason:
        har["comment"] = entry.reason
    return har
