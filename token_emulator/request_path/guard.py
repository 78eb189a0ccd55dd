"""Who may reach the emulator at all, checked before anything else runs.

Two refusals, both 403 with the reason in the journal:

- **A Host the emulator does not answer to.** A page on a name the attacker
  controls can point that name at 127.0.0.1 (DNS rebinding) and then read and
  change the emulator as if it were its own origin. A rebound request still
  names the attacker's host, so only these are answered: `localhost` (and
  `*.localhost`), IP literals, single-label names (a compose service such as
  `emulator`, a CI service container), the host the server is bound to, and
  the names given with `--allowed-host`.
- **A state-changing control call a browser marks as coming from another
  origin.** Any page may send a "simple" request (a form, or `fetch` with
  `no-cors` and a text/plain body) to any address; the browser sends it, it is
  only the answer the page cannot read. A browser says where such a request
  comes from: `Origin` (not the emulator's own, or `null` from a sandboxed or
  opaque page) and `Sec-Fetch-Site` (`cross-site`, or `same-site`: another
  port of the same host is another origin). Requests that carry neither (curl,
  httpx, the plugin, the QA commands) are not from a browser page and pass;
  the dashboard's own calls are same-origin and pass. Reads (GET, HEAD) change
  nothing and pass. The vendors' routes keep their own CORS rules: UneeQ's and
  the widget's are meant to be called from pages.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.adapters.starlette import route_path
from token_emulator.core.errors import ErrorRenderer, clip, one_line
from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.origins import Origin, OriginProblem, host_name, parse_origin
from token_emulator.core.scope_keys import CONTROL_REFUSED_KEY, NOW_KEY, REASON_KEY

FORBIDDEN = 403
CONTROL_PREFIX = "/_emulator"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FOREIGN_FETCH_SITES = frozenset({b"cross-site", b"same-site"})
OWN_FETCH_SITES = frozenset({b"same-origin", b"none"})
# Decisions on Host values are remembered (every vendor request asks); a client sending
# endless distinct hosts only refills this many.
REMEMBERED_HOSTS = 256

RendererFor = Callable[[Scope], ErrorRenderer]


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header's name (lower case, IPv6 without brackets) and port; None when it is
    not one (`http://` needs a host, and a port is digits)."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    name = parts.hostname
    if not name or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    if is_ip_literal(name):
        return name, port
    try:
        return host_name(name), port  # a DNS name, as an origin's host is read
    except OriginProblem:
        return None


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostRule:
    """The host names the emulator answers to (see the module's docstring)."""

    def __init__(self, bound_host: str, allowed: Iterable[str]) -> None:
        self.named = {name.strip().lower().rstrip(".") for name in (bound_host, *allowed)}
        self.named.discard("")
        self._decided: dict[bytes, bool] = {}

    def allows(self, value: bytes) -> bool:
        """`value`: the Host header as it came (the decision is remembered by it)."""
        decided = self._decided.get(value)
        if decided is None:
            if len(self._decided) >= REMEMBERED_HOSTS:
                self._decided.clear()
            decided = self._decided[value] = self._allows(value.decode("latin-1"))
        return decided

    def _allows(self, value: str) -> bool:
        parts = split_host(value)
        if parts is None:
            return False
        name = parts[0]
        return (
            name == "localhost"
            or name.endswith(".localhost")
            or "." not in name
            or is_ip_literal(name)
            or name in self.named
        )

    def describe(self) -> str:
        extra = ", ".join(sorted(self.named - {"0.0.0.0", "::"}))
        return "localhost, IP addresses, single-label names" + (f", {extra}" if extra else "")


class GuardRules:
    """What the guard refuses, asked by the guard itself and, before a world is made for
    a request, by the world routing (request_path/worlds.py): a refused request makes none."""

    def __init__(
        self, *, bound_host: str, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]
    ) -> None:
        self.hosts = HostRule(bound_host, allowed_hosts)
        self.origins = {found for found in (_origin(origin) for origin in allowed_origins) if found}

    def refusal(self, scope: Scope) -> str | None:
        """Why the request is refused; None when it may go on."""
        host = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                break
        if host is not None and not self.hosts.allows(host):
            shown = clip(host.decode("latin-1"), 80)
            return (
                f"Host {shown!r} is not a name this emulator answers to "
                f"({self.hosts.describe()}; add one with --allowed-host): "
                "a DNS-rebinding page names its own host"
            )
        if scope["method"] not in SAFE_METHODS and route_path(scope).startswith(CONTROL_PREFIX):
            return self._cross_site(scope, host)
        return None

    def _cross_site(self, scope: Scope, host: bytes | None) -> str | None:
        """Why this state-changing control call comes from another site's page, if it does."""
        origin = fetch_site = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                fetch_site = value.strip().lower()
        if fetch_site in OWN_FETCH_SITES:
            # The browser itself says the page is the emulator's own (or a person typed
            # the address); it cannot be forged by a page. Its Origin may still be null:
            # a form posted from a page whose referrer policy is no-referrer.
            return None
        if fetch_site in FOREIGN_FETCH_SITES:
            site = fetch_site.decode("latin-1")
            return (
                f"a page on another origin (Sec-Fetch-Site: {site}) may not change the "
                "emulator's state"
            )
        if origin is None:
            return None  # not sent by a browser page: curl, httpx, the plugin, the QA commands
        if origin.strip().lower() == "null":
            return "a page with an opaque origin (Origin: null) may not change the emulator's state"
        given = _origin(origin)
        own = None
        if host is not None:
            own = _origin(f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}")
        if given is not None and (given == own or given in self.origins):
            return None
        return (
            f"a page on {clip(origin, 80)!r}, not this emulator's origin, may not change its "
            "state (allow one with --allowed-origin)"
        )


class RequestGuard:
    """Inside the journaling layer (which names the vendor, and journals the refusal)."""

    def __init__(self, app: ASGIApp, *, rules: GuardRules, renderer_for: RendererFor) -> None:
        self.app = app
        self.rules = rules
        self.renderer_for = renderer_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reason = self.rules.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, receive, send, reason)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        scope[REASON_KEY] = reason
        scope[CONTROL_REFUSED_KEY] = True  # journaled even on the control plane
        response: Response
        path = route_path(scope)
        if path.startswith(CONTROL_PREFIX) or path == "/":
            response = JSONResponse({"error": reason}, status_code=FORBIDDEN)
        else:
            response = self.renderer_for(scope)(FORBIDDEN, "Forbidden", scope.get(NOW_KEY) or 0.0)
        response.headers[REASON_HEADER] = one_line(reason)
        await response(scope, receive, send)


def option_problem(allowed_hosts: Iterable[str], allowed_origins: Iterable[str]) -> str | None:
    """Why a value of --allowed-host or --allowed-origin could never match, if one could
    not: a host given with a port or a scheme, an origin without its scheme."""
    for name in allowed_hosts:
        host = split_host(name.strip())
        if host is None or host[1] is not None or "://" in name:
            return f"--allowed-host takes a host name alone (qa.internal), not {name[:80]!r}"
    for origin in allowed_origins:
        try:
            parse_origin(origin.strip())
        except OriginProblem as problem:
            return (
                "--allowed-origin takes a scheme, a host and a port if any "
                f"(https://qa.example:8443): {problem}"
            )
    return None


def _origin(text: str) -> Origin | None:
    """The origin `text` names, None when it names none a browser would send."""
    try:
        return parse_origin(text.strip())
    except OriginProblem:
        return None
