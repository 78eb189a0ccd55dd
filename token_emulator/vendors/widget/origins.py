"""Origin allowlists: entries parsed once at fixture load, origins matched by a pure function.

Kataven's grammar (FINDINGS.md) is shown only by example: `acme.com`,
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

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_HEADER_CHARS = 2048  # longer Origin/Referer values are refused unread

# A DNS label; underscores too, as browsers accept them in host names.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class OriginProblem(ValueError):
    """Why an origin (or an allowlist entry) cannot be read; the journal's reason."""


@dataclass(frozen=True)
class AllowEntry:
    text: str  # as the fixture wrote it, for the journal
    scheme: str | None  # None: http and https
    host: str  # lower case, no trailing dot; the base domain when `wildcard`
    wildcard: bool
    port: int | None  # None: the scheme's default port, unless any_port
    any_port: bool


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lower case, no trailing dot; IPv6 without brackets, canonical
    port: int  # the effective port: the default one when none was written
    source: str = "Origin"  # the header it was read from: Origin or Referer

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}")


@dataclass(frozen=True)
class OriginHeaders:
    """Every Origin and Referer header value of a request, as received."""

    origin: tuple[str, ...] = ()
    referer: tuple[str, ...] = ()


def _host_name(text: str) -> str:
    """A DNS name or IPv4 literal, lower case, one trailing dot dropped."""
    name = text.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name) > 253:
        raise OriginProblem(f"host {text!r} is not a host name")
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise OriginProblem(f"host {text!r} is not a host name")
    return name


def _ipv6(text: str) -> str:
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise OriginProblem(f"[{text}] is not an IPv6 address") from None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or not 0 < int(text) < 65536:
        raise OriginProblem(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


def _split_host_port(netloc: str) -> tuple[str, bool, str | None]:
    """`host:port` or `[v6]:port` into (host text, is IPv6, port text or None)."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise OriginProblem(f"{netloc!r} opens an IPv6 bracket it does not close")
        host, after = netloc[1:end], netloc[end + 1 :]
        if after and not after.startswith(":"):
            raise OriginProblem(f"{netloc!r} has text after the IPv6 literal")
        return host, True, after[1:] if after else None
    host, colon, port = netloc.partition(":")
    if ":" in port:
        raise OriginProblem(f"{netloc!r}: an IPv6 host needs brackets, like [::1]")
    return host, False, port if colon else None


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
    host_text, is_v6, port_text = _split_host_port(rest)
    wildcard = host_text.startswith("*.")
    base = host_text[2:] if wildcard else host_text
    if "*" in base:
        raise OriginProblem("a wildcard may only be the whole first label, as in *.example.com")
    if is_v6:
        if wildcard:
            raise OriginProblem("an IPv6 literal takes no wildcard")
        host = _ipv6(base)
    else:
        host = _host_name(base)
        if wildcard and host.rsplit(".", 1)[-1].isdigit():
            raise OriginProblem("a wildcard needs a domain name, not an IP address")
    any_port = port_text == "*"
    port = None if port_text is None or any_port else _port(port_text)
    return AllowEntry(text, scheme, host, wildcard, port, any_port)


def parse_origin(value: str, source: str = "Origin") -> Origin:
    """The origin a header names. A Referer's path, query and fragment are dropped."""
    if value == "null":
        raise OriginProblem(f"{source} is 'null' (an opaque origin, such as a sandboxed frame)")
    if len(value) > MAX_HEADER_CHARS:
        raise OriginProblem(f"{source} is {len(value)} characters long")
    if not value.isascii() or not value.isprintable() or " " in value:
        raise OriginProblem(f"{source} {value!r} is not an ASCII URL")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise OriginProblem(f"{source} {value!r} is not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not value.lower().startswith(f"{scheme}://"):
        raise OriginProblem(f"{source} {value!r} is not an http or https origin")
    # `?` and `#` count even when empty: urlsplit reports "" for them.
    if source == "Origin" and (parts.path or "?" in value or "#" in value):
        raise OriginProblem(f"Origin {value!r} has a path, query or fragment")
    if "@" in parts.netloc:
        raise OriginProblem(f"{source} {value!r} carries user information")
    try:
        host_text, is_v6, port_text = _split_host_port(parts.netloc)
        host = _ipv6(host_text) if is_v6 else _host_name(host_text)
        port = DEFAULT_PORTS[scheme] if port_text is None else _port(port_text)
    except OriginProblem as problem:
        raise OriginProblem(f"{source} {value[:200]!r}: {problem}") from None
    return Origin(scheme, host, port, source)


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
