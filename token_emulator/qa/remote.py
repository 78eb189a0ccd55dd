"""Which emulator a QA command talks to (its URL, the admin token), and how a refusal
reads on the command line. The talking is token_emulator.client's."""

from __future__ import annotations

import argparse
import os
import re
import ssl
from dataclasses import dataclass

import httpx

from token_emulator.client import (
    DEFAULT_TIMEOUT,
    EmulatorRefused,
    EmulatorUnreachable,
    TokenEmulator,
    Trust,
    failure_text,
)
from token_emulator.trust import UntrustedFile, trusting

DEFAULT_URL = "http://127.0.0.1:8080"
WORLD_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True)
class Target:
    url: str
    admin_token: str | None
    timeout: float
    world: str | None = None  # None: the one the URL names, else the default world
    ca_file: Trust = None  # None: the system's authorities

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, ca_file_from_env: bool = True) -> Target:
        """Flags first, then EMULATOR_URL / EMULATOR_ADMIN_TOKEN / EMULATOR_WORLD, then the
        defaults."""
        url = getattr(args, "url", None) or os.environ.get("EMULATOR_URL") or DEFAULT_URL
        token = getattr(args, "admin_token", None) or os.environ.get("EMULATOR_ADMIN_TOKEN")
        timeout = getattr(args, "timeout", None) or DEFAULT_TIMEOUT
        world = getattr(args, "world", None) or os.environ.get("EMULATOR_WORLD") or None
        ca_file = getattr(args, "ca_file", None) or (
            os.environ.get("EMULATOR_CA_FILE") if ca_file_from_env else None
        )
        url = url.rstrip("/")
        try:
            httpx.URL(url)
        except httpx.InvalidURL as error:
            raise EmulatorUnreachable(
                f"{url} is not a usable emulator URL: {failure_text(error)}"
            ) from None
        if world is not None and not WORLD_NAME.fullmatch(world):
            raise EmulatorUnreachable(
                f"{world[:70]!r} is not a world name: 1 to 63 characters of a-z, 0-9 and "
                "'-', starting with a letter or digit"
            )
        return cls(url, token or None, timeout, world, _trusting(ca_file))

    def client(self) -> TokenEmulator:
        return TokenEmulator(
            self.url,
            world=self.world,
            admin_token=self.admin_token,
            timeout=self.timeout,
            ca_file=self.ca_file,
        )


def _trusting(ca_file: str | None) -> ssl.SSLContext | None:
    """A context that trusts the authorities in `ca_file`, read now, so that a wrong file
    is one line on stderr."""
    if ca_file is None:
        return None
    try:
        return trusting(ca_file, "--ca-file (or EMULATOR_CA_FILE)")
    except UntrustedFile as error:
        raise EmulatorUnreachable(str(error)) from None


def refusal_message(refused: EmulatorRefused) -> str:
    """The control plane's `{"error"}` (and its problems), else the status and the body."""
    if not refused.json_error:
        if refused.status >= 400:
            return f"HTTP {refused.status} from {refused.url}: {refused.error or '(empty body)'}"
        return refused.error  # a success that is not the emulator's JSON
    message = refused.error
    if refused.problems:
        message += ": " + "; ".join(refused.problems)
    if refused.status == 401 and message == "admin token required":
        message += " (give --admin-token or set EMULATOR_ADMIN_TOKEN)"
    return f"{message} (HTTP {refused.status})"
