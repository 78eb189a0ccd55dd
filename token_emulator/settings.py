"""Run-time settings: one frozen value, read from the environment and CLI flags."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from token_emulator.core.durations import parse_duration
from token_emulator.core.package_files import PACKAGE_DIR, default_fixtures_dir

__all__ = ["LOOPBACK_HOSTS", "PACKAGE_DIR", "Settings", "SettingsError", "default_fixtures_dir"]

# Addresses only this machine reaches: serving elsewhere without an admin token is warned of.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class SettingsError(ValueError):
    """A setting from the environment that cannot be used; the message names it."""


def _whole_number(env: Mapping[str, str], name: str) -> int:
    text = env[name].strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise SettingsError(f"{name} must be a whole number, not {env[name][:40]!r}")
    return int(text)


LONGEST_HEADER_TIMEOUT = 3600.0


def header_timeout_problem(value: float, name: str) -> str | None:
    """Why `value` cannot be the header timeout (given as `name`), if it cannot."""
    if 0 < value <= LONGEST_HEADER_TIMEOUT:
        return None
    return f"{name} must be seconds above 0, at most {LONGEST_HEADER_TIMEOUT:g}"


def _duration(env: Mapping[str, str], name: str) -> float:
    """A duration as the command line takes it (`24h`, `90s`, `1h30m`), more than zero."""
    try:
        seconds = parse_duration(env[name])
    except ValueError as error:
        raise SettingsError(f"{name}={env[name][:40]!r}: {error}") from None
    if seconds <= 0:
        raise SettingsError(f"{name} must be longer than zero")
    return seconds


def _seconds(env: Mapping[str, str], name: str) -> float:
    text = env[name].strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    problem = header_timeout_problem(value, name)
    if problem is not None:
        raise SettingsError(f"{problem}, not {text[:40]!r}")
    return value


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list, as an environment variable holds several values."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


SWITCH_VALUES = {"1": True, "true": True, "yes": True, "on": True}
SWITCH_VALUES |= {"0": False, "false": False, "no": False, "off": False}


def _switch(env: Mapping[str, str], name: str) -> bool:
    text = env[name].strip().lower()
    if text not in SWITCH_VALUES:
        raise SettingsError(f"{name} must be 1 or 0 (true or false), not {env[name][:40]!r}")
    return SWITCH_VALUES[text]


# The settings naming TLS files, and the environment variables that give them.
TLS_FILES = {
    "tls_cert": "EMULATOR_TLS_CERT",
    "tls_key": "EMULATOR_TLS_KEY",
    "tls_ca": "EMULATOR_TLS_CA",
}


def read_token_file(path: str, named: str) -> str:
    """The admin token in a file (its first line, without surrounding whitespace): kept
    out of the process list and the environment, as the docs recommend."""
    try:
        with open(path, encoding="utf-8") as file:
            token = file.readline().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise SettingsError(f"cannot read the admin token from {named} {path}: {reason}") from None
    if not token:
        raise SettingsError(f"the admin token file {path} ({named}) is empty")
    return token


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    fixtures_dir: Path = field(default_factory=default_fixtures_dir)
    # A SQLite file, ':memory:' or a database URL, kept across restarts. None: a fresh
    # SQLite file of the run's own, deleted when the server stops (core/temporary.py).
    database: str | None = None
    # The database is a temporary one that `serve --workers` made for its workers: each
    # worker holds it while it runs, and the last process out deletes it.
    database_is_temporary: bool = False
    journal_size: int = 1000
    # The journal keeps each request's and answer's first journal_body_limit bytes of
    # body, and at most journal_max_bytes of bodies and headers in all (core/journal.py).
    journal_body_limit: int = 64 * 1024
    journal_max_bytes: int = 64 * 1024 * 1024
    # Longer request bodies are answered 413 unread (token_emulator/request_path/body_limit.py).
    max_body_bytes: int = 64 * 1024
    log_level: str = "info"
    # With a token, all of /_emulator/ but health needs it (Bearer, or the dashboard's cookie).
    admin_token: str | None = None
    # How long a dashboard login lasts (core/admin_sessions.py), by the machine's clock.
    admin_session_seconds: int = 86400
    # A request's headers must arrive within this many seconds, and a process takes at
    # most max_connections at once (None: its descriptor limit less a reserve);
    # adapters/uvicorn.py, GuardedH11Protocol.
    header_timeout: float = 5.0
    max_connections: int | None = None
    # Entries (all sections) the fixtures added at run time to one vendor may hold until
    # a reset (core/runtime_fixtures.py); past it an addition is refused whole.
    max_added_entries: int = 100_000
    # Server processes sharing the port and the database (`serve --workers`).
    workers: int = 1
    # Host names answered besides localhost, IP literals, single-label names and the
    # bound host (request_path/guard.py): a request naming another is refused.
    allowed_hosts: tuple[str, ...] = ()
    # Origins besides the emulator's own that may change its state (the control plane).
    allowed_origins: tuple[str, ...] = ()
    # The base URL links the emulator builds start with (8x8's guest link), when clients
    # reach it through a proxy; None: the scheme and Host of the request.
    public_url: str | None = None
    # A world with no request for this long (by the machine's clock) is deleted
    # (core/worlds.py); the default world never is.
    world_ttl_seconds: float = 24 * 3600.0
    # HTTPS on the same port (certificates.py): from a local certificate authority kept
    # beside the database, for localhost, loopback, the bound host and tls_names; or
    # from tls_cert and tls_key, the user's own. serve sets tls_ca to the authority's
    # certificate, which GET /_emulator/ca.pem gives (None: the user's own certificate).
    tls: bool = False
    tls_names: tuple[str, ...] = ()
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Environment first, then explicit overrides (CLI flags); None means "not given"."""
        env = os.environ
        settings = cls()
        from_env: dict[str, object] = {}
        if "EMULATOR_HOST" in env:
            from_env["host"] = env["EMULATOR_HOST"]
        if "EMULATOR_PORT" in env:
            from_env["port"] = _whole_number(env, "EMULATOR_PORT")
        if "EMULATOR_FIXTURES" in env:
            from_env["fixtures_dir"] = Path(env["EMULATOR_FIXTURES"])
        if env.get("EMULATOR_DATABASE"):  # empty, as compose passes an unset one: not given
            from_env["database"] = env["EMULATOR_DATABASE"]
            from_env["database_is_temporary"] = env.get("EMULATOR_DATABASE_IS_TEMPORARY") == "1"
        if "EMULATOR_JOURNAL_SIZE" in env:
            from_env["journal_size"] = _whole_number(env, "EMULATOR_JOURNAL_SIZE")
        if "EMULATOR_JOURNAL_BODY_LIMIT" in env:
            from_env["journal_body_limit"] = _whole_number(env, "EMULATOR_JOURNAL_BODY_LIMIT")
        if "EMULATOR_JOURNAL_BYTES" in env:
            from_env["journal_max_bytes"] = _whole_number(env, "EMULATOR_JOURNAL_BYTES")
        if "EMULATOR_MAX_BODY_BYTES" in env:
            from_env["max_body_bytes"] = _whole_number(env, "EMULATOR_MAX_BODY_BYTES")
        if "EMULATOR_LOG_LEVEL" in env:
            from_env["log_level"] = env["EMULATOR_LOG_LEVEL"]
        if env.get("EMULATOR_ADMIN_TOKEN"):
            from_env["admin_token"] = env["EMULATOR_ADMIN_TOKEN"]
        if "EMULATOR_WORKERS" in env:
            from_env["workers"] = _whole_number(env, "EMULATOR_WORKERS")
        if env.get("EMULATOR_ADMIN_TOKEN_FILE"):
            if env.get("EMULATOR_ADMIN_TOKEN"):
                raise SettingsError(
                    "set EMULATOR_ADMIN_TOKEN or EMULATOR_ADMIN_TOKEN_FILE, not both"
                )
            from_env["admin_token"] = read_token_file(
                env["EMULATOR_ADMIN_TOKEN_FILE"], "EMULATOR_ADMIN_TOKEN_FILE"
            )
        if "EMULATOR_ADMIN_SESSION_SECONDS" in env:
            from_env["admin_session_seconds"] = _whole_number(env, "EMULATOR_ADMIN_SESSION_SECONDS")
        if "EMULATOR_HEADER_TIMEOUT" in env:
            from_env["header_timeout"] = _seconds(env, "EMULATOR_HEADER_TIMEOUT")
        if "EMULATOR_MAX_CONNECTIONS" in env:
            from_env["max_connections"] = _whole_number(env, "EMULATOR_MAX_CONNECTIONS")
        if "EMULATOR_MAX_ADDED_ENTRIES" in env:
            from_env["max_added_entries"] = _whole_number(env, "EMULATOR_MAX_ADDED_ENTRIES")
        if env.get("EMULATOR_ALLOWED_HOSTS"):
            from_env["allowed_hosts"] = _names(env["EMULATOR_ALLOWED_HOSTS"])
        if env.get("EMULATOR_ALLOWED_ORIGINS"):
            from_env["allowed_origins"] = _names(env["EMULATOR_ALLOWED_ORIGINS"])
        if env.get("EMULATOR_PUBLIC_URL"):
            from_env["public_url"] = env["EMULATOR_PUBLIC_URL"]
        if env.get("EMULATOR_WORLD_TTL"):
            from_env["world_ttl_seconds"] = _duration(env, "EMULATOR_WORLD_TTL")
        if env.get("EMULATOR_TLS"):
            from_env["tls"] = _switch(env, "EMULATOR_TLS")
        if env.get("EMULATOR_TLS_NAMES"):
            from_env["tls_names"] = _names(env["EMULATOR_TLS_NAMES"])
        for name, variable in TLS_FILES.items():
            if env.get(variable):
                from_env[name] = env[variable]
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(settings, **{**from_env, **given})

    def as_environment(self) -> dict[str, str]:
        """The environment variables `from_env` reads back into these settings.

        How `serve --workers N` hands its settings to worker processes, which
        uvicorn starts afresh and which build their app from the environment.
        """
        environment = {
            "EMULATOR_HOST": self.host,
            "EMULATOR_PORT": str(self.port),
            "EMULATOR_FIXTURES": str(self.fixtures_dir),
            "EMULATOR_JOURNAL_SIZE": str(self.journal_size),
            "EMULATOR_JOURNAL_BODY_LIMIT": str(self.journal_body_limit),
            "EMULATOR_JOURNAL_BYTES": str(self.journal_max_bytes),
            "EMULATOR_LOG_LEVEL": self.log_level,
            "EMULATOR_WORKERS": str(self.workers),
            "EMULATOR_MAX_BODY_BYTES": str(self.max_body_bytes),
        }
        if self.database is not None:
            environment["EMULATOR_DATABASE"] = self.database
            if self.database_is_temporary:
                environment["EMULATOR_DATABASE_IS_TEMPORARY"] = "1"
        if self.admin_token is not None:
            environment["EMULATOR_ADMIN_TOKEN"] = self.admin_token
        environment["EMULATOR_ADMIN_SESSION_SECONDS"] = str(self.admin_session_seconds)
        environment["EMULATOR_HEADER_TIMEOUT"] = repr(self.header_timeout)
        environment["EMULATOR_MAX_ADDED_ENTRIES"] = str(self.max_added_entries)
        if self.max_connections is not None:
            environment["EMULATOR_MAX_CONNECTIONS"] = str(self.max_connections)
        if self.allowed_hosts:
            environment["EMULATOR_ALLOWED_HOSTS"] = ",".join(self.allowed_hosts)
        if self.allowed_origins:
            environment["EMULATOR_ALLOWED_ORIGINS"] = ",".join(self.allowed_origins)
        if self.public_url is not None:
            environment["EMULATOR_PUBLIC_URL"] = self.public_url
        environment["EMULATOR_WORLD_TTL"] = f"{self.world_ttl_seconds!r}s"
        if self.tls:
            environment["EMULATOR_TLS"] = "1"
        if self.tls_names:
            environment["EMULATOR_TLS_NAMES"] = ",".join(self.tls_names)
        for name, variable in TLS_FILES.items():
            if (value := getattr(self, name)) is not None:
                environment[variable] = value
        return environment
