"""Origin allowlists: entries parsed once at fixture load, origins matched by a pure function.

Kataven's grammar (docs/vendors/widget.md) is shown only by example: `acme.com`,
`*.acme.com`, `localhost:*`. Everything else here is the emulator's reading
of those examples, written down in the README's fidelity notes:

- an entry is `[scheme://]host[:port]`; without a scheme it matches http and
  https, without a port only the scheme's default port, `:*` any port;
- `*.acme.com` matches every subdomain (any depth) of acme.com, not acme.com;
- hosts compare case-insensitively, with one trailing dot dropped (the same
  DNS name); IPv6 literals are bracketed and compared in canonical form;
- the `null` origin, and anything that is not a plain http(s) origin, matches
  nothing.

No I/O and no state: the table-driven tests call these functions directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from token_emulator.core.origins import (
    DEFAULT_PORTS,
    Origin,
    OriginProblem,
    host_name,
    ipv6,
    parse_origin,
    port_number,
    split_host_port,
)


@dataclass(frozen=True)
class AllowEntry:
    text: str  # as the fixture wrote it, for the journal
    scheme: str | None  # None: http and https
    host: str  # lower case, no trailing dot; the base domain when `wildcard`
    wildcard: bool
    port: int | None  # None: the scheme's default port, unless any_port
    any_port: bool


@dataclass(frozen=True)
class OriginHeaders:
    """Every Origin and Referer header value of a request, as received."""

    origin: tuple[str, ...] = ()
    referer: tuple[str, ...] = ()


def parse_entry(text: str) -> AllowEntry:
    """One allowlist entry; raises OriginProblem saying what is wrong with it."""
    scheme: str | None = None
    rest = text
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise OriginProblem(f"scheme {scheme!r} is not http or https")
    if not rest or any(c in rest for c in "/?#@\\") or not rest.isprintable() or " " in rest:
        raise OriginProblem("an entry is [scheme://]host[:port], without path, query or user")
    host_text, is_v6, port_text = split_host_port(rest)
    wildcard = host_text.startswith("*.")
    base = host_text[2:] if wildcard else host_text
    if "*" in base:
        raise OriginProblem("a wildcard may only be the whole first label, as in *.example.com")
    if is_v6:
        if wildcard:
            raise OriginProblem("an IPv6 literal takes no wildcard")
        host = ipv6(base)
    else:
        host = host_name(base)
        if wildcard and host.rsplit(".", 1)[-1].isdigit():
            raise OriginProblem("a wildcard needs a domain name, not an IP address")
    any_port = port_text == "*"
    port = None if port_text is None or any_port else port_number(port_text)
    return AllowEntry(text, scheme, host, wildcard, port, any_port)


def request_origin(headers: OriginHeaders) -> Origin:
    """The Origin header, or else the Referer's origin; neither is a refusal.

    An empty Origin counts as absent. A `null` Origin does not fall back: the
    browser said the origin is opaque, and a Referer must not overrule it.
    """
    for name, values in (("Origin", headers.origin), ("Referer", headers.referer)):
        if len(values) > 1:
            raise OriginProblem(f"{len(values)} {name} headers")
        if values and values[0] != "":
            return parse_origin(values[0], name)
    raise OriginProblem("no Origin or Referer header")


def entry_matches(entry: AllowEntry, origin: Origin) -> bool:
    if entry.scheme is not None and entry.scheme != origin.scheme:
        return False
    if not entry.any_port:
        wanted = entry.port if entry.port is not None else DEFAULT_PORTS[origin.scheme]
        if origin.port != wanted:
            return False
    if entry.wildcard:
        return origin.host.endswith("." + entry.host)
    return origin.host == entry.host


def allowed(entries: Iterable[AllowEntry], origin: Origin) -> bool:
    return any(entry_matches(entry, origin) for entry in entries)


def parse_allowlist(texts: Sequence[str]) -> tuple[AllowEntry, ...]:
    """Every entry, or an OriginProblem naming the first bad one by index."""
    parsed = []
    for index, text in enumerate(texts):
        try:
            parsed.append(parse_entry(text))
        except OriginProblem as problem:
            raise OriginProblem(f"entry {index} {text!r}: {problem}") from None
    return tuple(parsed)
