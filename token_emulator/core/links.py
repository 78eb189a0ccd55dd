"""The base URL of links the emulator builds (8x8's guest link and the SMS that
carries it): `--public-url` (EMULATOR_PUBLIC_URL) when clients reach the
emulator through a proxy or another name, otherwise the scheme and Host the
request came with, which the request guard has already checked
(request_path/guard.py: a rebound name never gets this far)."""

from __future__ import annotations

import re

from starlette.requests import Request

# A Host header fit to put in a link; anything else falls back to the socket's address.
_HOST = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def base_url(request: Request) -> str:
    """Where the client reached the emulator, with the path of the mount the request is
    under (`http://127.0.0.1:8080/8x8`)."""
    prefix: str = request.scope.get("root_path", "")
    public: object = request.state.settings.public_url  # the lifespan's Settings
    if isinstance(public, str) and public:
        return public.rstrip("/") + prefix
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        server = request.scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    scheme = request.scope.get("scheme", "http")
    return f"{scheme}://{host}{prefix}"
