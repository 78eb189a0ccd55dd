"""The control-plane client: every call of `/_emulator/`, sync or async, on httpx.

`TokenEmulator` (an `httpx.Client`) is the pytest plugin's handle, what the QA
commands and the benchmarks talk through; `AsyncTokenEmulator` (an
`httpx.AsyncClient`) is the same for async code. Each call is written once, as
steps (core/calls.py), and takes its method and path from the control plane's
own declarations (control/api.py), so the client cannot drift from the server.

    with TokenEmulator("http://127.0.0.1:8080") as emulator:
        emulator.reset()
        emulator.advance(301)
        [refusal] = emulator.requests(vendor="uneeq", status="4xx")

A refusal raises `EmulatorRefused` (status, error, problems); no answer at all
raises `EmulatorUnreachable`. Light on purpose: it imports no server code.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import ssl
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import httpx

from token_emulator.control import api
from token_emulator.core import instants
from token_emulator.core.calls import Call, Steps, log, run
from token_emulator.core.journal import MISSING, field_at, shown_as_text, status_matches
from token_emulator.core.openapi import Operation
from token_emulator.trust import trusting
from token_emulator.vendors import client_of

P = ParamSpec("P")
T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0
MAX_TEXT_SHOWN = 500


class EmulatorRefused(Exception):
    """The control plane answered a refusal (or something that is not its JSON): the
    status, its `{"error"}` message and its problems are kept."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        error: str,
        problems: list[str] | None = None,
        *,
        url: str = "",
        json_error: bool = True,
    ) -> None:
        self.method = method
        self.path = path  # under /_emulator
        self.status = status
        self.error = error
        self.problems = problems or []
        self.url = url  # the whole URL that was asked
        self.json_error = json_error  # False: `error` is the answer's text, not its message
        lines = [f"token emulator refused {method} {path}: {status} {error}"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class EmulatorUnreachable(Exception):
    """No answer from the emulator at all (or a request that cannot be sent); the
    message says which, in one line."""


class EmulatorDropped(Exception):
    """The emulator closed the connection without an answer: a fault injected with
    `drop` acted on a vendor call."""


class EmulatorAdminAuth(httpx.Auth):
    """Sends the admin token to the control plane (`/_emulator/`) only: vendor calls
    through the same client keep their own `Authorization` (an 8x8 API key)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.path
        if ("/_emulator/" in path or path.endswith("/_emulator")) and (
            "authorization" not in request.headers
        ):
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def failure_text(error: Exception) -> str:
    """The last line of what httpx said, for a one-line message."""
    text = str(error).strip()
    return text.splitlines()[-1] if text else error.__class__.__name__


@contextlib.contextmanager
def transport_errors(url: str) -> Iterator[None]:
    """httpx's transport failures as one-line EmulatorUnreachable messages; a dropped
    connection (an injected fault) as EmulatorRefused."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        text = failure_text(error)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            text += (
                " (an emulator under `serve --tls`: trust its authority with ca_file=, "
                "--ca-file or EMULATOR_CA_FILE; `token-emulator ca` prints it)"
            )
        raise EmulatorUnreachable(f"cannot reach the emulator at {url}: {text}") from None
    except httpx.TimeoutException:
        raise EmulatorUnreachable(f"the emulator at {url} did not answer in time") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise EmulatorUnreachable(
            f"{url} is not a usable emulator URL: {failure_text(error)}"
        ) from None
    except httpx.LocalProtocolError as error:
        raise EmulatorUnreachable(f"cannot send this request: {failure_text(error)}") from None
    except httpx.RemoteProtocolError:
        raise EmulatorDropped(
            f"the emulator at {url} closed the connection without an answer "
            "(an injected fault with drop?)"
        ) from None
    except httpx.TransportError as error:
        raise EmulatorUnreachable(
            f"cannot talk to the emulator at {url}: {failure_text(error)}"
        ) from None


def _parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ControlPlane:
    """What both clients share: where the emulator is and what they learnt of it."""

    url: str  # the world's root: the server's own, or `/worlds/{name}` under it
    server_url: str  # the server's root, where worlds are listed, created and deleted
    world: str  # "default": the paths without a prefix
    _vendors: list[str] | None


DEFAULT_WORLD = "default"
_WORLD_PATH = re.compile(r"(.*)/worlds/([a-z0-9][a-z0-9-]{0,62})")


def world_url(url: str, world: str | None = None) -> tuple[str, str, str]:
    """(the world's root URL, the server's, the world's name) for an emulator `url`,
    which may itself end in `/worlds/{name}`; `world` names another world there."""
    url = url.rstrip("/")
    found = _WORLD_PATH.fullmatch(url)
    server, named = (found.group(1), found.group(2)) if found else (url, DEFAULT_WORLD)
    name = world or named
    return (server if name == DEFAULT_WORLD else f"{server}/worlds/{name}"), server, name


# --- the calls, as steps over a ControlPlane ---------------------------------------------


def call(
    plane: ControlPlane,
    operation: Operation,
    *,
    path_params: Mapping[str, str | int] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    server: bool = False,
    text: bool = False,
) -> Steps[Any]:
    """Any call of control/api.py: its JSON answer (with `text`, its text, for the calls
    that answer a file), EmulatorRefused for a refusal. To the client's world's control
    plane, or with `server` to the server's (the worlds)."""
    path = operation.path.format_map(
        {name: quote(str(value), safe="") for name, value in (path_params or {}).items()}
    )
    sent = Call(
        operation.route,
        operation.method,
        (plane.server_url if server else "") + api.PREFIX + path,
        params=params,
        json=json,
        expect=(),  # any status: a refusal is read here
        logged=False,
    )
    response = yield sent
    if text and response.is_success:
        return response.text
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success:
        if body is None:
            raise EmulatorRefused(
                sent.method,
                path,
                response.status_code,
                f"{response.request.url} answered with something that is not JSON: "
                "is it the token emulator?",
                url=str(response.request.url),
                json_error=False,
            )
        return body
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        problems = body.get("problems")
        raise EmulatorRefused(
            sent.method,
            path,
            response.status_code,
            body["error"],
            [str(p) for p in problems] if isinstance(problems, list) else None,
            url=str(response.request.url),
        )
    text = response.text.strip().replace("\n", " ")[:MAX_TEXT_SHOWN]
    raise EmulatorRefused(
        sent.method,
        path,
        response.status_code,
        text,
        url=str(response.request.url),
        json_error=False,
    )


def emulator_now(vendor: str) -> Steps[float]:
    """A step of a vendor's flow: the emulator clock's now, so what the client signs
    follows a moved clock. Real time when the control plane does not answer (say, it
    needs an admin token the client does not send): right while the clock is unmoved."""
    call = Call(
        f"{vendor}: read the emulator clock", "GET", api.PREFIX + api.READ_CLOCK.path, expect=()
    )
    response = yield call
    if response.status_code == 200:
        try:
            return instants.parse_instant(response.json()["now"])
        except (ValueError, KeyError, TypeError):
            pass
    log.warning("the emulator clock is not readable (%s); using real time", response.status_code)
    return instants.real_time()


def health(plane: ControlPlane) -> Steps[dict[str, Any]]:
    """`GET /_emulator/health`: ready, the version, the vendors, fixtures and database."""
    answer: dict[str, Any] = yield from call(plane, api.HEALTH)
    return answer


def ca_certificate(plane: ControlPlane) -> Steps[str]:
    """The certificate (PEM) of the local authority an emulator under `serve --tls` serves
    HTTPS with, for clients to trust; EmulatorRefused (404) from one without."""
    pem: str = yield from call(plane, api.CA_CERTIFICATE, server=True, text=True)
    return pem


def vendors(plane: ControlPlane) -> Steps[list[str]]:
    """The ids of the vendors this emulator serves."""
    if plane._vendors is None:
        plane._vendors = list((yield from health(plane))["vendors"])
    return plane._vendors


def vendor_url(plane: ControlPlane, vendor_id: str) -> Steps[str]:
    """The base URL a client of `vendor_id` swaps in, e.g. `http://127.0.0.1:PORT/uneeq`."""
    known = yield from vendors(plane)
    if vendor_id not in known:
        raise ValueError(f"unknown vendor {vendor_id!r}; known: {', '.join(known)}")
    return f"{plane.url}/{vendor_id}"


def reset(plane: ControlPlane) -> Steps[None]:
    """State exactly as the fixtures describe it: real clock, no faults, empty journal."""
    yield from call(plane, api.RESET)


def clock(plane: ControlPlane) -> Steps[dict[str, Any]]:
    """`{"now", "frozen", "offset_seconds"}` as the control plane reports it."""
    reading: dict[str, Any] = yield from call(plane, api.READ_CLOCK)
    return reading


def now(plane: ControlPlane) -> Steps[datetime]:
    """The emulator's now, an aware UTC datetime."""
    return _parse_instant((yield from clock(plane))["now"])


def _move(plane: ControlPlane, body: dict[str, Any]) -> Steps[datetime]:
    return _parse_instant((yield from call(plane, api.MOVE_CLOCK, json=body))["now"])


def advance(plane: ControlPlane, seconds: float | str | timedelta) -> Steps[datetime]:
    """Move the clock on (or back, with a negative amount): seconds, a timedelta or a
    duration as the command line writes it (`15m`, `-1h30m`); the new now."""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    return (yield from _move(plane, {"advance": seconds}))


def set_time(
    plane: ControlPlane, instant: str | datetime, *, freeze: bool = False
) -> Steps[datetime]:
    """Set the clock to `instant`; a naive datetime or a string without offset is UTC.
    A running clock keeps running from there; `freeze=True` stops it at exactly
    `instant` in the same call."""
    shown = _iso(instant)
    return (yield from _move(plane, {"set": shown, **({"freeze": True} if freeze else {})}))


def freeze(plane: ControlPlane) -> Steps[datetime]:
    """Stop the clock where it is."""
    return (yield from _move(plane, {"freeze": True}))


def real_time(plane: ControlPlane) -> Steps[datetime]:
    """Back to real time."""
    return (yield from _move(plane, {"real": True}))


def _journal_params(
    vendor: str | None,
    route: str | None,
    status: int | str | None,
    method: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    body: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    filters = {"vendor": vendor, "route": route, "status": status, "method": method}
    params = {key: str(value) for key, value in filters.items() if value is not None}
    for name, instant in (("since", since), ("until", until)):
        if instant is not None:
            params[name] = _iso(instant)
    for path, value in (body or {}).items():
        params[f"body.{path}"] = shown_as_text(value)
    return params


def _iso(instant: str | datetime) -> str:
    """An instant as the control plane reads it: a string as given, a datetime in ISO-8601
    (a naive one is UTC)."""
    if isinstance(instant, str):
        return instant
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.isoformat()


def _with_json(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry, its request's and answer's bodies also parsed (`json`) where they are JSON."""
    for side in ("request", "answer"):
        part = entry.get(side)
        if isinstance(part, dict) and isinstance(part.get("body"), str) and "json" not in part:
            with contextlib.suppress(ValueError):
                part["json"] = json.loads(part["body"])
    return entry


def requests(
    plane: ControlPlane,
    vendor: str | None = None,
    route: str | None = None,
    status: int | str | None = None,
    limit: int | None = None,
    *,
    method: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    body: Mapping[str, Any] | None = None,
    bodies: bool = False,
    reveal: bool = False,
) -> Steps[list[dict[str, Any]]]:
    """Journal entries, newest first; `route` is `token` or `uneeq:token`, `status`
    a code (401) or a class ("4xx"), `body` fields of the request's JSON body by dotted
    path (`{"sid": "my-session"}`). With `bodies`, each entry's request and answer
    (headers, body, and `json` where the body is JSON), secrets masked unless `reveal`."""
    params = _journal_params(vendor, route, status, method, since, until, body)
    if limit is not None:
        params["limit"] = str(limit)
    if bodies:
        params["bodies"] = "true"
    if reveal:
        params["reveal"] = "true"
    entries: list[dict[str, Any]] = (yield from call(plane, api.REQUESTS, params=params))[
        "requests"
    ]
    return [_with_json(entry) for entry in entries] if bodies else entries


def request(plane: ControlPlane, number: int, *, reveal: bool = False) -> Steps[dict[str, Any]]:
    """One journal entry whole (its request and answer), by its id."""
    params = {"reveal": "true"} if reveal else None
    found: dict[str, Any] = yield from call(
        plane, api.REQUEST_ENTRY, path_params={"id": number}, params=params
    )
    return _with_json(found)


def count(
    plane: ControlPlane,
    vendor: str | None = None,
    route: str | None = None,
    status: int | str | None = None,
    *,
    method: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    body: Mapping[str, Any] | None = None,
) -> Steps[int]:
    """How many journal entries match (the filters of `requests`)."""
    params = _journal_params(vendor, route, status, method, since, until, body)
    answer = yield from call(plane, api.COUNT_REQUESTS, params=params)
    return int(answer["count"])


def har(plane: ControlPlane, *, reveal: bool = False) -> Steps[dict[str, Any]]:
    """The journal as a HAR 1.2 document (oldest first)."""
    params = {"reveal": "true"} if reveal else None
    document: dict[str, Any] = yield from call(plane, api.HAR, params=params)
    return document


NEAREST_SHOWN = 5


def assert_requested(
    plane: ControlPlane,
    vendor: str,
    route: str,
    times: int | None = None,
    status: int | str | None = None,
    body: Mapping[str, Any] | None = None,
) -> Steps[list[dict[str, Any]]]:
    """The journal holds `times` requests (at least one when None) to the vendor's route
    with that status and those fields of the request's JSON body; the matching entries.
    AssertionError otherwise, listing the vendor's requests that came nearest, each
    with the reason it was refused."""
    seen = yield from requests(plane, vendor=vendor, bodies=True)
    wanted_route = route if ":" in route else f"{vendor}:{route}"
    wanted_body = {path: shown_as_text(value) for path, value in (body or {}).items()}

    def agrees(entry: dict[str, Any]) -> list[bool]:
        document = entry.get("request", {}).get("json")
        return [
            entry["route"] == wanted_route,
            status is None or status_matches(entry["status"], str(status)),
            *(_field_text(document, path) == value for path, value in wanted_body.items()),
        ]

    matching = [entry for entry in seen if all(agrees(entry))]
    if (len(matching) >= 1) if times is None else (len(matching) == times):
        return matching
    expected = "at least one request" if times is None else f"{times} request(s)"
    asked = [wanted_route] + ([f"status {status}"] if status is not None else [])
    asked += [f"body.{path}={value}" for path, value in wanted_body.items()]
    nearest = sorted(
        (entry for entry in seen if entry not in matching),
        key=lambda entry: (-sum(agrees(entry)), -entry["id"]),
    )[:NEAREST_SHOWN]
    lines = [f"expected {expected} to {', '.join(asked)}; found {len(matching)}"]
    if nearest:
        lines.append(f"nearest of the {len(seen)} {vendor} request(s) in the journal:")
        for entry in nearest:
            document = entry.get("request", {}).get("json")
            fields = ", ".join(f"body.{path}={_field_text(document, path)}" for path in wanted_body)
            why = f" ({entry['reason']})" if entry.get("reason") else ""
            lines.append(
                f"  #{entry['id']} {entry['route'] or entry['path']} -> {entry['status']}{why}"
                + (f"; {fields}" if fields else "")
            )
    else:
        lines.append(f"the journal holds no {vendor} request")
    raise AssertionError("\n".join(lines))


def _field_text(document: Any, path: str) -> str | None:
    """The field at a dotted path as the journal's filter compares it; None if absent."""
    value = field_at(document, path)
    return None if value is MISSING else shown_as_text(value)


def clear_requests(plane: ControlPlane) -> Steps[None]:
    """Empty the journal."""
    yield from call(plane, api.CLEAR_REQUESTS)


def fault(
    plane: ControlPlane,
    vendor: str,
    route: str | None = None,
    status: int | None = None,
    times: int = 1,
    delay_ms: int | None = None,
    drop: bool = False,
    method: str | None = None,
    probability: float | None = None,
    seed: int | None = None,
) -> Steps[dict[str, Any]]:
    """Make the next `times` matching requests answer `status` (in the vendor's own
    error body), answer after `delay_ms`, or lose their connection (`drop`)."""
    given = {
        "route": route,
        "status": status,
        "delay_ms": delay_ms,
        "method": method,
        "probability": probability,
        "seed": seed,
    }
    body: dict[str, Any] = {"vendor": vendor, "times": times}
    body.update({key: value for key, value in given.items() if value is not None})
    if drop:
        body["drop"] = True
    made: dict[str, Any] = (yield from call(plane, api.ADD_FAULT, json=body))["fault"]
    return made


def faults(plane: ControlPlane) -> Steps[list[dict[str, Any]]]:
    """The active faults."""
    active: list[dict[str, Any]] = (yield from call(plane, api.FAULTS))["faults"]
    return active


def clear_faults(plane: ControlPlane) -> Steps[None]:
    """Remove every fault."""
    yield from call(plane, api.CLEAR_FAULTS)


def add_fixtures(
    plane: ControlPlane, vendor: str, fixtures: dict[str, Any]
) -> Steps[dict[str, Any]]:
    """Add entries (sections of the vendor's fixture file, as JSON), or top-level
    settings, until the next reset; returns `{"vendor", "added": {section: count}}`
    (and `"settings"`, those put in force)."""
    body = {"vendor": vendor, "fixtures": fixtures}
    added: dict[str, Any] = yield from call(plane, api.ADD_FIXTURES, json=body)
    return added


def state(plane: ControlPlane, vendor: str) -> Steps[dict[str, Any]]:
    """What the vendor holds now (secrets masked), as `GET /_emulator/state/{vendor}`."""
    found: dict[str, Any] = yield from call(plane, api.STATE, path_params={"vendor": vendor})
    return found


def worlds(plane: ControlPlane) -> Steps[list[dict[str, Any]]]:
    """Every world on the server: name, created, last request."""
    listed: list[dict[str, Any]] = (yield from call(plane, api.WORLDS, server=True))["worlds"]
    return listed


def create_world(
    plane: ControlPlane,
    name: str | None = None,
    *,
    fixtures: Mapping[str, Any] | None = None,
    copy_of: str | None = None,
    document: Mapping[str, Any] | None = None,
) -> Steps[dict[str, Any]]:
    """A new world, seeded from the server's fixtures (with `fixtures`, per vendor id, of
    its own), a copy of world `copy_of`, or an export `document` imported; returns
    `{"name", "urls": {vendor: base URL}, "control"}`. Unnamed, it gets a generated name."""
    given = {"name": name, "fixtures": fixtures, "copy_of": copy_of, "import": document}
    body = {key: value for key, value in given.items() if value is not None}
    made: dict[str, Any] = yield from call(plane, api.CREATE_WORLD, json=body, server=True)
    return made


def delete_world(plane: ControlPlane, name: str) -> Steps[None]:
    """Delete a world and every row of it."""
    yield from call(plane, api.DELETE_WORLD, path_params={"name": name}, server=True)


def export(plane: ControlPlane) -> Steps[dict[str, Any]]:
    """The client's world, whole, as one JSON document (`create_world(document=...)`)."""
    document: dict[str, Any] = yield from call(plane, api.EXPORT)
    return document


def answer(plane: ControlPlane, /, vendor: str, **options: Any) -> Steps[dict[str, Any]]:
    """The vendor's whole answer to its client flow, run against this emulator: the
    options are the vendor's own (`token-emulator token VENDOR --help` lists them),
    credentials default to the package's default fixtures (`fixtures=DIR` names
    another directory). A refused step raises FlowError."""
    found: dict[str, Any] = yield from client_of(vendor).answer(**options)
    return found


def token(plane: ControlPlane, /, vendor: str, **options: Any) -> Steps[str]:
    """The token the vendor's client flow ends with (its answer's token field)."""
    found = yield from answer(plane, vendor, **options)
    return str(found[client_of(vendor).token_field])


# --- the two clients ----------------------------------------------------------------------


def _sync(
    steps: Callable[Concatenate[ControlPlane, P], Steps[T]],
) -> Callable[Concatenate[TokenEmulator, P], T]:
    @functools.wraps(steps)
    def method(self: TokenEmulator, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with transport_errors(self.url):
            return run(self.http, steps(self, *args, **kwargs))

    return method


def _async(
    steps: Callable[Concatenate[ControlPlane, P], Steps[T]],
) -> Callable[Concatenate[AsyncTokenEmulator, P], Awaitable[T]]:
    @functools.wraps(steps)
    async def method(self: AsyncTokenEmulator, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with transport_errors(self.url):
            return await run(self.http, steps(self, *args, **kwargs))

    return method


# What `ca_file` may be: a file of trusted certificates (the emulator's ca.pem), a context
# of one's own, or None for the system's authorities.
Trust = str | os.PathLike[str] | ssl.SSLContext | None


def _http_options(
    url: str, admin_token: str | None, timeout: float, ca_file: Trust
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "base_url": url.rstrip("/"),
        # The admin token goes to the control plane only: `http` also serves vendor calls.
        "auth": EmulatorAdminAuth(admin_token) if admin_token else None,
        "timeout": timeout,
    }
    if isinstance(ca_file, ssl.SSLContext):
        options["verify"] = ca_file
    elif ca_file is not None:
        # An emulator under `serve --tls`: its local authority (GET /_emulator/ca.pem).
        options["verify"] = trusting(ca_file, "ca_file")
    elif not url.lower().startswith("https:"):
        # An http:// emulator needs no TLS. httpx would load certifi's CA bundle for its
        # default context all the same (most of a QA command's own time); a context that
        # trusts nothing fails any TLS this client were ever led to instead.
        options["verify"] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return options


class TokenEmulator(ControlPlane):
    """A running emulator's control plane, synchronously, in one world: the server's
    default one, or `world` (a `url` ending in `/worlds/{name}` names it too). Its
    `http` (an `httpx.Client` based at the world's root) also serves vendor calls."""

    def __init__(
        self,
        url: str,
        *,
        world: str | None = None,
        admin_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: Trust = None,
    ) -> None:
        self.url, self.server_url, self.world = world_url(url, world)
        self.http = httpx.Client(**_http_options(self.url, admin_token, timeout, ca_file))
        self._vendors = None
        self._options = (admin_token, timeout, ca_file)

    def in_world(self, name: str) -> TokenEmulator:
        """A handle on world `name` of the same server (made by its first request)."""
        admin_token, timeout, ca_file = self._options
        return TokenEmulator(
            self.server_url, world=name, admin_token=admin_token, timeout=timeout, ca_file=ca_file
        )

    def new_world(self, name: str | None = None, **given: Any) -> TokenEmulator:
        """A new world (create_world's options), and a handle on it."""
        return self.in_world(self.create_world(name, **given)["name"])

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> TokenEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TokenEmulator({self.url!r})"

    call = _sync(call)
    health = _sync(health)
    ca_certificate = _sync(ca_certificate)
    vendors = _sync(vendors)
    vendor_url = _sync(vendor_url)
    reset = _sync(reset)
    clock = _sync(clock)
    now = _sync(now)
    advance = _sync(advance)
    set_time = _sync(set_time)
    freeze = _sync(freeze)
    real_time = _sync(real_time)
    requests = _sync(requests)
    request = _sync(request)
    count = _sync(count)
    har = _sync(har)
    assert_requested = _sync(assert_requested)
    clear_requests = _sync(clear_requests)
    fault = _sync(fault)
    faults = _sync(faults)
    clear_faults = _sync(clear_faults)
    add_fixtures = _sync(add_fixtures)
    state = _sync(state)
    answer = _sync(answer)
    token = _sync(token)
    worlds = _sync(worlds)
    create_world = _sync(create_world)
    delete_world = _sync(delete_world)
    export = _sync(export)


class AsyncTokenEmulator(ControlPlane):
    """The same calls for async code: each returns an awaitable."""

    def __init__(
        self,
        url: str,
        *,
        world: str | None = None,
        admin_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: Trust = None,
    ) -> None:
        self.url, self.server_url, self.world = world_url(url, world)
        self.http = httpx.AsyncClient(**_http_options(self.url, admin_token, timeout, ca_file))
        self._vendors = None
        self._options = (admin_token, timeout, ca_file)

    def in_world(self, name: str) -> AsyncTokenEmulator:
        """A handle on world `name` of the same server (made by its first request)."""
        admin_token, timeout, ca_file = self._options
        return AsyncTokenEmulator(
            self.server_url, world=name, admin_token=admin_token, timeout=timeout, ca_file=ca_file
        )

    async def new_world(self, name: str | None = None, **given: Any) -> AsyncTokenEmulator:
        """A new world (create_world's options), and a handle on it."""
        return self.in_world((await self.create_world(name, **given))["name"])

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncTokenEmulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncTokenEmulator({self.url!r})"

    call = _async(call)
    health = _async(health)
    ca_certificate = _async(ca_certificate)
    vendors = _async(vendors)
    vendor_url = _async(vendor_url)
    reset = _async(reset)
    clock = _async(clock)
    now = _async(now)
    advance = _async(advance)
    set_time = _async(set_time)
    freeze = _async(freeze)
    real_time = _async(real_time)
    requests = _async(requests)
    request = _async(request)
    count = _async(count)
    har = _async(har)
    assert_requested = _async(assert_requested)
    clear_requests = _async(clear_requests)
    fault = _async(fault)
    faults = _async(faults)
    clear_faults = _async(clear_faults)
    add_fixtures = _async(add_fixtures)
    state = _async(state)
    answer = _async(answer)
    token = _async(token)
    worlds = _async(worlds)
    create_world = _async(create_world)
    delete_world = _async(delete_world)
    export = _async(export)
