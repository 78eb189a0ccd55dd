"""`python -m token_emulator.healthcheck`: the Docker image's HEALTHCHECK.

Asks the running emulator's `GET /_emulator/health` on the address `serve`
reads from the same environment (EMULATOR_HOST, EMULATOR_PORT) and exits 0
on a 200, 1 on anything else, with one line saying why and never a traceback
(Docker keeps that output in `docker inspect`). Over HTTPS when `serve` serves it
(EMULATOR_TLS, EMULATOR_TLS_CERT), without checking the certificate: the server
asks itself whether it is up, not who it is. The standard library and the
settings' words for on and off, so a check every few seconds costs little;
health stays open under an admin token, so none is needed here.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from token_emulator.settings import SWITCH_VALUES
from token_emulator.trust import any_certificate

HEALTH_PATH = "/_emulator/health"
DEFAULT_PORT = "8080"
TIMEOUT_SECONDS = 2.0
# A server bound to every interface is asked on the loopback one.
WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}
PORT = re.compile(r"[0-9]{1,5}")
NAME = re.compile(r"[A-Za-z0-9._-]+")
IPV6 = re.compile(r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*")


class Unhealthy(Exception):
    """Why the check fails, as the one line it prints."""


def health_url(env: Mapping[str, str]) -> str:
    raw_port = env.get("EMULATOR_PORT", DEFAULT_PORT).strip() or DEFAULT_PORT
    if not PORT.fullmatch(raw_port) or not 0 < int(raw_port) < 65536:
        raise Unhealthy(f"EMULATOR_PORT is not a port: {raw_port!r}")
    host = env.get("EMULATOR_HOST", "127.0.0.1").strip()
    host = WILDCARDS.get(host, host)
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if IPV6.fullmatch(bare):
        host = f"[{bare}]"  # an IPv6 literal in a URL
    elif not NAME.fullmatch(host):
        # Nothing that would change the URL's path, port or user.
        raise Unhealthy(f"EMULATOR_HOST is not a host name or address: {host!r}")
    scheme = "https" if serves_tls(env) else "http"
    return f"{scheme}://{host}:{int(raw_port)}{HEALTH_PATH}"


def serves_tls(env: Mapping[str, str]) -> bool:
    """As `serve` reads EMULATOR_TLS (settings.py) and EMULATOR_TLS_CERT."""
    switch = SWITCH_VALUES.get(env.get("EMULATOR_TLS", "").strip().lower(), False)
    return switch or bool(env.get("EMULATOR_TLS_CERT", "").strip())


def check(url: str, timeout: float = TIMEOUT_SECONDS) -> str:
    # No proxies: HTTP_PROXY in a container's environment must not send a
    # loopback request elsewhere.
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=any_certificate()))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise Unhealthy(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise Unhealthy(f"{url} did not answer: {reason}") from None
    if status != 200:
        raise Unhealthy(f"{url} answered {status}")
    return f"{url} answered 200"


def main() -> int:
    # No options: everything comes from the environment `serve` reads.
    try:
        print(check(health_url(os.environ)))
    except Unhealthy as problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    except Exception as error:  # a healthcheck reports, it never crashes
        print(f"unhealthy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
