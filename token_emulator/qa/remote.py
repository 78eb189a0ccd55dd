"""Talking to a running emulator: its URL, the admin token, and the two ways a call fails."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from token_emulator.testing.flows import EmulatorAdminAuth

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 10.0
MAX_MESSAGE = 500


class Unreachable(Exception):
    """No answer from the emulator at all: exit code 2."""


class Refused(Exception):
    """The control plane answered with a refusal: its message, exit code 1."""


class Unsendable(Exception):
    """What was given cannot go into an HTTP request (a CR or LF in a header): exit code 2."""


@dataclass(frozen=True)
class Target:
    url: str
    admin_token: str | None
    timeout: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Target:
        """Flags first, then EMULATOR_URL / EMULATOR_ADMIN_TOKEN, then the defaults."""
        url = getattr(args, "url", None) or os.environ.get("EMULATOR_URL") or DEFAULT_URL
        token = getattr(args, "admin_token", None) or os.environ.get("EMULATOR_ADMIN_TOKEN")
        timeout = getattr(args, "timeout", None) or DEFAULT_TIMEOUT
        url = url.rstrip("/")
        try:
            httpx.URL(url)
        except httpx.InvalidURL as error:
            raise Unreachable(f"{url} is not a usable emulator URL: {_why(error)}") from None
        return cls(url, token or None, timeout)

    def client(self) -> httpx.Client:
        auth = EmulatorAdminAuth(self.admin_token) if self.admin_token else None
        return httpx.Client(base_url=self.url, auth=auth, timeout=self.timeout)


@contextmanager
def transport_errors(url: str) -> Iterator[None]:
    """httpx's transport errors as one-line Unreachable / Refused messages."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise Unreachable(f"cannot reach the emulator at {url}: {_why(error)}") from None
    except httpx.TimeoutException:
        raise Unreachable(f"the emulator at {url} did not answer in time") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise Unreachable(f"{url} is not a usable emulator URL: {_why(error)}") from None
    except httpx.LocalProtocolError as error:
        raise Unsendable(f"cannot send this request: {_why(error)}") from None
    except httpx.RemoteProtocolError:
        raise Refused(
            f"the emulator at {url} closed the connection without an answer "
            "(an injected fault with drop?)"
        ) from None
    except httpx.TransportError as error:
        raise Unreachable(f"cannot talk to the emulator at {url}: {_why(error)}") from None


def _why(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else error.__class__.__name__


def refusal_message(response: httpx.Response) -> str:
    """The control plane's `{"error"}` (and its problems), else the status and the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
        problems = body.get("problems")
        if isinstance(problems, list) and problems:
            message += ": " + "; ".join(str(problem) for problem in problems)
        if response.status_code == 401 and message == "admin token required":
            message += " (give --admin-token or set EMULATOR_ADMIN_TOKEN)"
        return f"{message} (HTTP {response.status_code})"
    text = response.text.strip().replace("\n", " ")[:MAX_MESSAGE]
    return f"HTTP {response.status_code} from {response.request.url}: {text or '(empty body)'}"


class ControlPlane:
    """JSON calls to `/_emulator/` of one emulator."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.http = target.client()

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        with transport_errors(self.target.url):
            response = self.http.request(method, f"/_emulator{path}", **kwargs)
        if response.status_code >= 400:
            raise Refused(refusal_message(response))
        try:
            return response.json()
        except ValueError:
            raise Refused(
                f"{self.target.url} answered {method} /_emulator{path} with something that is "
                "not JSON: is it the token emulator?"
            ) from None
