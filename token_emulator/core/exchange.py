"""What a vendor request sent and what it was answered, as the journal keeps it.

Kept raw (the header lists as the server gave them, the bodies' first bytes up
to the journal's body limit), so recording costs a request little; read, it
is decoded and its secrets masked: an `Authorization` value, passwords, API
and secret keys, client assertions show their scheme, first four characters
and length, because journals end up in CI logs. `reveal` shows them whole.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote

Headers = Sequence[tuple[bytes, bytes]]

# Header names whose values are credentials, lower case.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-token"}
)
# Body field names (JSON or form) that hold credentials: compared lower case, without
# "_" and "-" (api_key, apiKey and api-key alike).
SECRET_FIELDS = frozenset(
    {
        "password",
        "secret",
        "apikey",
        "secretkey",
        "clientsecret",
        "assertion",
        "clientassertion",
    }
)
# A body of this media type is a credential whole (UneeQ's request JWT).
SECRET_MEDIA_TYPES = frozenset({"application/jwt"})
SHOWN = 4
# What the journal's byte bound counts for an entry's headers.
HEADERS_ALLOWANCE = 2048
# `"password": "value"` in text that does not parse as JSON whole.
_SECRET_STRING = re.compile(
    r'("(?:'
    + "|".join(
        f"(?i:{name})"
        for name in (
            "password",
            "secret",
            "api_?key",
            "secret_?key",
            "client_?secret",
            "(?:client_)?assertion",
        )
    )
    + r')"\s*:\s*)"([^"\\]*)(?:"|$)'  # a value cut at the body limit has no end
)


def masked(value: str) -> str:
    """The first four characters and the length: enough to tell two apart."""
    return f"{value[:SHOWN]}... ({len(value)} characters)"


def masked_header(name: str, value: str) -> str:
    if name == "authorization" or name == "proxy-authorization":
        scheme, space, credential = value.partition(" ")
        if space:
            return f"{scheme} {masked(credential)}"
    return masked(value)


class Exchange:
    """One request's headers and body, and its answer's status, headers and body: kept as
    they pass, by `receive` and `send`, which the journaling layer hands the app in
    place of the server's (request_path/journaling.py)."""

    __slots__ = (
        "_receive",
        "_scope",
        "_send",
        "answer_body",
        "answer_headers",
        "answer_size",
        "limit",
        "request_body",
        "request_size",
        "status",
    )

    def __init__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
        limit: int,
    ) -> None:
        # The scope is read once the answer is sent (recorded), not copied now.
        self._scope = scope
        self._receive = receive
        self._send = send
        self.limit = limit  # the bytes of each body kept
        self.request_body = b""
        self.request_size = 0  # the whole body's length; request_body may be its start
        self.status = 500  # until an answer starts
        self.answer_headers: Headers = ()
        self.answer_body = b""
        self.answer_size = 0

    # receive and send run for every message of every vendor request: the common case,
    # a first chunk under the limit, is kept as it is, without a call or a copy.

    async def receive(self) -> dict[str, Any]:
        message = await self._receive()
        chunk = message.get("body")
        if chunk:
            kept = self.request_size
            self.request_size = kept + len(chunk)
            if not kept and len(chunk) <= self.limit:
                self.request_body = chunk
            elif kept < self.limit:
                self.request_body = (self.request_body + chunk)[: self.limit]
        return message

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.answer_headers = message.get("headers") or ()
        else:
            chunk = message.get("body")
            if chunk:
                kept = self.answer_size
                self.answer_size = kept + len(chunk)
                if not kept and len(chunk) <= self.limit:
                    self.answer_body = chunk
                elif kept < self.limit:
                    self.answer_body = (self.answer_body + chunk)[: self.limit]
        await self._send(message)

    def recorded(self, dropped: bool, duration: float) -> Recorded:
        """What the journal keeps: plain values and tuples, which the garbage collector
        stops tracking, instead of this object and the server's header lists (a
        thousand entries of those made every collection longer)."""
        scope = self._scope
        request_body = self.request_body
        answer_body = self.answer_body
        return Recorded(
            scope.get("scheme", "http"),
            scope["query_string"],
            tuple(scope["headers"]),
            request_body,
            self.request_size,
            0 if dropped else self.status,
            tuple(self.answer_headers),
            answer_body,
            self.answer_size,
            duration,
            # What the journal's byte bound counts: the bodies kept, and an allowance
            # for the headers (counting them would cost every request more).
            len(request_body) + len(answer_body) + HEADERS_ALLOWANCE,
        )


class Recorded(NamedTuple):
    """One request and its answer as the journal holds them; read decoded and masked."""

    scheme: str
    query: bytes
    request_headers: tuple[tuple[bytes, bytes], ...]
    request_body: bytes
    request_size: int  # the whole body's length; request_body may be its start
    status: int  # 0: the connection was dropped
    answer_headers: tuple[tuple[bytes, bytes], ...]
    answer_body: bytes
    answer_size: int
    duration: float  # seconds, by the machine's clock
    held: int  # the bytes the journal's bound counts for it (Exchange.recorded)

    def media_type(self, answer: bool = False) -> str:
        headers = self.answer_headers if answer else self.request_headers
        for name, value in headers:
            if name.lower() == b"content-type":
                return value.decode("latin-1").split(";", 1)[0].strip().lower()
        return ""

    def as_json(self, *, reveal: bool = False) -> dict[str, Any]:
        return {
            "request": {
                "headers": _headers(self.request_headers, reveal),
                "query": _query(self.query, reveal),
                **_body(self.request_body, self.request_size, self.media_type(), reveal),
                **self._document(reveal),
            },
            "answer": {
                "status": self.status,
                "headers": _headers(self.answer_headers, reveal),
                **_body(self.answer_body, self.answer_size, self.media_type(True), True),
            },
            "duration_ms": round(self.duration * 1000, 3),
        }

    def request_json(self) -> Any:
        """What the request's body says, unmasked (for matching): its JSON, or a JWT's
        claims, read without checking its signature (UneeQ's request JWT: its `sid`);
        None for anything else."""
        if self.media_type() in SECRET_MEDIA_TYPES:
            from token_emulator.core.tokens import TokenProblem, read_unverified

            try:
                return read_unverified(self.request_body.decode("ascii")).claims
            except (TokenProblem, UnicodeDecodeError):
                return None
        return _parsed(self.request_body)

    def _document(self, reveal: bool) -> dict[str, Any]:
        """`json`: what the body says, where it is JSON or a JWT (masked unless `reveal`)."""
        document = self.request_json()
        if document is None:
            return {}
        return {"json": document if reveal else _masked_json(document)}


def _headers(headers: Headers, reveal: bool) -> list[list[str]]:
    shown = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if not reveal and name.lower() in SECRET_HEADERS:
            value = masked_header(name.lower(), value)
        shown.append([name, value])
    return shown


def _query(query: bytes, reveal: bool) -> str:
    text = query.decode("latin-1")
    if reveal or not text:
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    return "&".join(
        f"{quote(key)}={shown if shown != value else quote(value)}"
        for key, value in pairs
        for shown in (_field(key, value),)
    )


def _field(key: str, value: Any) -> Any:
    if isinstance(value, str) and key.replace("_", "").replace("-", "").lower() in SECRET_FIELDS:
        return masked(value)
    return value


def _masked_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked_json(_field(key, item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_json(item) for item in value]
    return value


def _parsed(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _body(body: bytes, size: int, media_type: str, reveal: bool) -> dict[str, Any]:
    """The body as text (UTF-8), or base64 where it is not text; masked unless `reveal`."""
    shown: dict[str, Any] = {"body_size": size, "body_truncated": size > len(body)}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        shown.update(body=base64.b64encode(body).decode("ascii"), encoding="base64")
        return shown
    if not reveal and text:
        if media_type in SECRET_MEDIA_TYPES:
            text = masked(text)
        elif media_type == "application/x-www-form-urlencoded":
            text = _query(body, reveal=False)
        elif (parsed := _parsed(body)) is not None:
            masked_json = _masked_json(parsed)
            if masked_json != parsed:
                text = json.dumps(masked_json, separators=(",", ":"), ensure_ascii=False)
        else:  # not whole JSON (cut at the limit, or malformed): its fields by pattern
            text = _SECRET_STRING.sub(lambda m: m.group(1) + json.dumps(masked(m.group(2))), text)
    shown["body"] = text
    return shown
