"""The allowlist matcher as a table: entries, origins, and the Origin/Referer choice."""

from __future__ import annotations

import pytest

from token_emulator.core.origins import OriginProblem, parse_origin
from token_emulator.vendors.widget.origins import (
    OriginHeaders,
    allowed,
    parse_allowlist,
    parse_entry,
    request_origin,
)

# (allowlist, Origin header, allowed?)
MATCHES: list[tuple[str, str, bool]] = [
    # exact host: http and https on their default ports only
    ("acme.com", "https://acme.com", True),
    ("acme.com", "http://acme.com", True),
    ("acme.com", "https://acme.com:443", True),
    ("acme.com", "https://acme.com:8443", False),
    ("acme.com", "http://acme.com:443", False),
    ("acme.com", "https://www.acme.com", False),
    # wildcard subdomains: any depth, never the apex or look-alikes
    ("*.acme.com", "https://www.acme.com", True),
    ("*.acme.com", "https://a.b.acme.com", True),
    ("*.acme.com", "https://acme.com", False),
    ("*.acme.com", "https://evilacme.com", False),
    ("*.acme.com", "https://www.acme.com.evil.net", False),
    ("*.acme.com", "https://wwwacme.com", False),
    ("*.acme.com", "https://www.acme.com:8443", False),
    # look-alike hosts against an exact entry
    ("acme.com", "https://acme.com.evil.net", False),
    ("acme.com", "https://evil-acme.com", False),
    ("acme.com", "https://acme.co", False),
    # case and one trailing dot are the same DNS name
    ("acme.com", "HTTPS://ACME.COM", True),
    ("ACME.com", "https://acme.com", True),
    ("*.Acme.Com", "https://WWW.ACME.COM", True),
    ("acme.com", "https://acme.com.", True),
    ("acme.com.", "https://acme.com", True),
    ("acme.com", "https://acme.com..", False),
    # host with any port
    ("localhost:*", "http://localhost:3000", True),
    ("localhost:*", "https://localhost", True),
    ("localhost:*", "http://localhost.evil.net:3000", False),
    ("localhost:*", "http://127.0.0.1:3000", False),
    ("127.0.0.1:*", "http://127.0.0.1:5173", True),
    # explicit scheme and port
    ("https://acme.com:8443", "https://acme.com:8443", True),
    ("https://acme.com:8443", "http://acme.com:8443", False),
    ("https://acme.com:8443", "https://acme.com", False),
    ("http://acme.com", "https://acme.com", False),
    ("https://acme.com", "https://acme.com", True),
    ("acme.com:8080", "http://acme.com:8080", True),
    ("https://*.acme.com:*", "https://shop.acme.com:9000", True),
    ("https://*.acme.com:*", "http://shop.acme.com:9000", False),
    # IPv6 literals, compared in canonical form
    ("[::1]:*", "http://[::1]:3000", True),
    ("[::1]:*", "http://[0:0:0:0:0:0:0:1]:8080", True),
    ("[::1]", "http://[::1]", True),
    ("[::1]", "http://[::1]:3000", False),
    ("[::1]:*", "http://[::2]:3000", False),
    ("localhost:*", "http://[::1]:3000", False),
    # origins that match nothing, whatever the list says
    ("*.acme.com", "null", False),
    ("acme.com", "https://user@acme.com", False),
    ("localhost:*", "http://localhost:3000?", False),  # an empty query is still one
    ("localhost:*", "http://localhost:3000#", False),
    ("acme.com", "https://acme.com/path", False),
    ("acme.com", "https://acme.com?x=1", False),
    ("acme.com", "ftp://acme.com", False),
    ("acme.com", "acme.com", False),
    ("acme.com", "https://acme.com:0", False),
    ("acme.com", "https://acme.com:99999", False),
    ("acme.com", "https://acme.com:+443", False),
    ("acme.com", "https://ac%6De.com", False),
    ("acme.com", "https://acme.com\t", False),
    ("acme.com", "https://ácme.com", False),
    ("acme.com", "https:acme.com", False),
    ("", "https://acme.com", False),  # an empty allowlist blocks the key
    ("acme.com, *.acme.com", "https://shop.acme.com", True),
]


def _allow(allowlist: str, origin: str) -> bool:
    entries = parse_allowlist([e.strip() for e in allowlist.split(",") if e.strip()])
    try:
        parsed = parse_origin(origin)
    except OriginProblem:
        return False
    return allowed(entries, parsed)


@pytest.mark.parametrize(("allowlist", "origin", "expected"), MATCHES)
def test_allowlist_matching(allowlist: str, origin: str, expected: bool) -> None:
    assert _allow(allowlist, origin) is expected


def test_the_table_is_large_enough() -> None:
    assert len(MATCHES) >= 20


BAD_ENTRIES = [
    ("ftp://acme.com", "scheme 'ftp' is not http or https"),
    ("https://acme.com/path", "an entry is [scheme://]host[:port], without path, query or user"),
    ("user@acme.com", "an entry is [scheme://]host[:port], without path, query or user"),
    ("acme.com:", "port '' is not a number from 1 to 65535"),
    ("acme.com:70000", "port '70000' is not a number from 1 to 65535"),
    ("acme.com:8o", "port '8o' is not a number from 1 to 65535"),
    ("*", "a wildcard may only be the whole first label, as in *.example.com"),
    ("*acme.com", "a wildcard may only be the whole first label, as in *.example.com"),
    ("www.*.acme.com", "a wildcard may only be the whole first label, as in *.example.com"),
    ("*.10.0.0.1", "a wildcard needs a domain name, not an IP address"),
    ("::1", "'::1': an IPv6 host needs brackets, like [::1]"),
    ("[::1", "'[::1' opens an IPv6 bracket it does not close"),
    ("[nope]:*", "[nope] is not an IPv6 address"),
    ("", "an entry is [scheme://]host[:port], without path, query or user"),
    (" acme.com", "an entry is [scheme://]host[:port], without path, query or user"),
    ("ac me.com", "an entry is [scheme://]host[:port], without path, query or user"),
    ("acme..com", "host 'acme..com' is not a host name"),
    ("-acme.com", "host '-acme.com' is not a host name"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_bad_entries_say_why(entry: str, message: str) -> None:
    with pytest.raises(OriginProblem) as raised:
        parse_entry(entry)
    assert str(raised.value) == message


def test_allowlist_names_the_bad_entry_by_index() -> None:
    with pytest.raises(OriginProblem) as raised:
        parse_allowlist(["acme.com", "https://acme.com/"])
    assert str(raised.value).startswith("entry 1 'https://acme.com/': ")


HEADERS = [
    # (Origin values, Referer values, the origin read, or the refusal)
    (("http://localhost:3000",), (), "http://localhost:3000"),
    ((), ("http://localhost:3000/shop/cart?id=1#top",), "http://localhost:3000"),
    (("",), ("https://www.acme.test/page",), "https://www.acme.test"),
    (("https://a.test",), ("https://b.test/",), "https://a.test"),
    (("https://ACME.test:443",), (), "https://acme.test"),
    ((), (), "no Origin or Referer header"),
    (("",), ("",), "no Origin or Referer header"),
    (("null",), ("https://www.acme.test/",), "Origin is 'null' (an opaque origin"),
    ((), ("null",), "Referer is 'null'"),
    (("https://a.test", "https://b.test"), (), "2 Origin headers"),
    ((), ("https://a.test/", "https://b.test/"), "2 Referer headers"),
    ((), ("https://u:p@a.test/",), "Referer 'https://u:p@a.test/' carries user information"),
    ((), ("/relative/path",), "Referer '/relative/path' is not an http or https origin"),
    (("x" * 3000,), (), "Origin is 3000 characters long"),
    (
        ("http://localhost:99999",),
        (),
        "Origin 'http://localhost:99999': port '99999' is not a number from 1 to 65535",
    ),
    ((), ("http://a..b/x",), "Referer 'http://a..b/x': host 'a..b' is not a host name"),
]


@pytest.mark.parametrize(("origin", "referer", "expected"), HEADERS)
def test_origin_or_referer(
    origin: tuple[str, ...], referer: tuple[str, ...], expected: str
) -> None:
    headers = OriginHeaders(origin=origin, referer=referer)
    if "://" in expected and " " not in expected:
        seen = request_origin(headers)
        assert str(seen) == expected
        assert seen.source == ("Origin" if origin and origin[0] else "Referer")
    else:
        with pytest.raises(OriginProblem) as raised:
            request_origin(headers)
        assert str(raised.value).startswith(expected)
