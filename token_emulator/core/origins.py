"""Web origins as browsers send them (`scheme://host[:port]`), read strictly: the
widget's Origin allowlists (vendors/widget/origins.py) and the request guard's
cross-site check (request_path/guard.py) both read them here.

- only http and https; the port made explicit (the scheme's default when none);
- hosts lower case, one trailing dot dropped; IPv6 literals bracketed and in
  canonical form;
- `null` (an opaque origin), a path, a query, user information: refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_HEADER_CHARS = 2048  # longer Origin/Referer values are refused unread

# A DNS label; underscores too, as browsers accept them in host names.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class OriginProblem(ValueError):
    """Why an origin (or an allowlist entry) cannot be read; the journal's reason."""


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


def host_name(text: str) -> str:
    """A DNS name or IPv4 literal, lower case, one trailing dot dropped."""
    name = text.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name) > 253:
        raise OriginProblem(f"host {text!r} is not a host name")
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise OriginProblem(f"host {text!r} is not a host name")
    return name


def ipv6(text: str) -> str:
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise OriginProblem(f"[{text}] is not an IPv6 address") from None


def port_number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or not 0 < int(text) < 65536:
        raise OriginProblem(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


def split_host_port(netloc: str) -> tuple[str, bool, str | None]:
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
        host_text, is_v6, port_text = split_host_port(parts.netloc)
        host = ipv6(host_text) if is_v6 else host_name(host_text)
        port = DEFAULT_PORTS[scheme] if port_text is None else port_number(port_text)
    except OriginProblem as problem:
        raise OriginProblem(f"{source} {value[:200]!r}: {problem}") from None
    return Origin(scheme, host, port, source)
