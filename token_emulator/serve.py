"""`token-emulator serve` and `check`: the start-up checks, then one server process
or `--workers N` of them (workers.py)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from token_emulator.certificates import CertificateError
from token_emulator.exit_codes import REFUSED, UNUSABLE_SETTINGS, fail
from token_emulator.serving import configure_logging, settle_garbage_collector, uvicorn_options
from token_emulator.settings import (
    LOOPBACK_HOSTS,
    Settings,
    SettingsError,
    header_timeout_problem,
    read_token_file,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette


def _load_fixtures(settings: Settings) -> bool:
    from token_emulator.core.fixtures import FixtureError
    from token_emulator.core.world import load_fixtures
    from token_emulator.vendors import all_vendors

    try:
        load_fixtures(settings.fixtures_dir, all_vendors())
    except FixtureError as error:
        print(f"fixtures in {settings.fixtures_dir} are not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return False
    return True


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from token_emulator.app import create_app

    try:
        settings = Settings.from_env(
            host=args.host,
            port=args.port,
            fixtures_dir=args.fixtures,
            # Empty, as EMULATOR_DATABASE empty: not given, a temporary database.
            database=args.database or None,
            log_level=args.log_level,
            admin_token=_admin_token(args),
            workers=args.workers,
            max_body_bytes=args.max_body_bytes,
            allowed_hosts=tuple(args.allowed_host) if args.allowed_host else None,
            allowed_origins=tuple(args.allowed_origin) if args.allowed_origin else None,
            public_url=args.public_url,
            header_timeout=args.header_timeout,
            max_connections=args.max_connections,
            max_added_entries=args.max_added_entries,
            world_ttl_seconds=args.world_ttl,
            journal_body_limit=args.journal_body_limit,
            tls=args.tls or None,
            tls_names=tuple(args.tls_name) if args.tls_name else None,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        )
    except SettingsError as error:
        return fail(str(error), UNUSABLE_SETTINGS)
    from token_emulator.request_path.guard import option_problem

    problem = _unshareable(settings) or option_problem(
        settings.allowed_hosts, settings.allowed_origins
    )
    if settings.database is not None:
        problem = (
            problem or _unwritable_database(settings.database) or _missing_driver(settings.database)
        )
    if problem:
        return fail(problem, UNUSABLE_SETTINGS)
    configure_logging(settings)
    if not _load_fixtures(settings):
        return UNUSABLE_SETTINGS
    if settings.admin_token is not None and len(settings.admin_token) < MIN_TOKEN_CHARS:
        logging.getLogger("token_emulator").warning(
            "the admin token has %d characters; one of %d or more is harder to guess",
            len(settings.admin_token),
            MIN_TOKEN_CHARS,
        )
    if settings.admin_token is None and settings.host not in LOOPBACK_HOSTS:
        logging.getLogger("token_emulator").warning(
            "the control plane (/_emulator/) is open to anyone who can reach %s:%s; "
            "set EMULATOR_ADMIN_TOKEN or --admin-token to close it",
            settings.host,
            settings.port,
        )
    with contextlib.ExitStack() as owned:
        try:
            settings = _with_certificate(settings, owned)
        except CertificateError as error:
            return fail(str(error), UNUSABLE_SETTINGS)
        if settings.workers == 1:
            app = create_app(settings)
            settle_garbage_collector()
            uvicorn.run(app, **uvicorn_options(settings))
            return 0
        # uvicorn starts each worker as a fresh interpreter that imports the app by
        # name; the settings reach it through the environment (worker_app below).
        from token_emulator.core.storage.temporary import TemporaryDatabase
        from token_emulator.workers import run_workers

        if settings.database is None:
            # One file for every worker, made and removed here, by the parent.
            temporary = owned.enter_context(TemporaryDatabase())
            database = str(temporary.path)
            settings = replace(settings, database=database, database_is_temporary=True)
            logging.getLogger("token_emulator").info(
                "the workers share a temporary database, deleted when the last of them "
                "and serve have stopped: %s; fixtures %s",
                temporary.path,
                settings.fixtures_dir,
            )
        os.environ.update(settings.as_environment())
        run_workers(f"{__name__}:worker_app", settings.workers, settings)
    return 0


def _with_certificate(settings: Settings, owned: contextlib.ExitStack) -> Settings:
    """The settings with the files HTTPS is served with (certificates.py), made or checked
    now, once, before any worker starts; unchanged for plain HTTP."""
    from token_emulator.certificates import (
        authority_directory,
        local_authority,
        name_problem,
        own_certificate,
        sha256_fingerprint,
    )

    if settings.tls_cert is None and settings.tls_key is not None:
        raise CertificateError("--tls-key needs --tls-cert (the certificate it belongs to)")
    if settings.tls_cert is not None:
        certificate = own_certificate(settings.tls_cert, settings.tls_key)
    elif settings.tls:
        for name in settings.tls_names:
            if problem := name_problem(name):
                raise CertificateError(problem)
        directory = authority_directory(settings.database)
        if directory is None:
            # No file to keep it beside: an authority for this run, gone when it stops.
            directory = Path(owned.enter_context(tempfile.TemporaryDirectory(prefix="emu-tls-")))
        certificate = local_authority(directory, (*settings.tls_names, settings.host))
    else:
        return settings
    logging.getLogger("token_emulator").info(
        "serving HTTPS with %s; %s",
        certificate.cert_file,
        f"clients trust the local authority in {certificate.ca_file} (also GET "
        "/_emulator/ca.pem, or `token-emulator ca`), SHA-256 fingerprint "
        + sha256_fingerprint(certificate.ca_file.read_bytes())
        if certificate.ca_file is not None
        else "its authority is yours",
    )
    return replace(
        settings,
        tls=True,
        tls_cert=str(certificate.cert_file),
        tls_key=str(certificate.key_file),
        # Only the authority made here: GET /_emulator/ca.pem has nothing to give for a
        # certificate of the user's own.
        tls_ca=str(certificate.ca_file) if certificate.ca_file is not None else None,
    )


# Shorter admin tokens start with a warning.
MIN_TOKEN_CHARS = 16


def _admin_token(args: argparse.Namespace) -> str | None:
    """--admin-token or --admin-token-file; None when neither is given. An empty token
    (`--admin-token "$UNSET"`) is refused: it would have left the plane open by mistake."""
    given, path = args.admin_token, args.admin_token_file
    if given is not None and path is not None:
        raise SettingsError("give --admin-token or --admin-token-file, not both")
    if path is not None:
        return read_token_file(path, "--admin-token-file")
    if given is not None and not given.strip():
        raise SettingsError(
            "--admin-token is empty (an unset variable?): give a token, or leave the option out"
        )
    return given


def worker_app() -> Starlette:
    """The app of one `serve --workers N` process, built from the environment `serve` set."""
    from token_emulator.app import create_app
    from token_emulator.workers import begin_worker

    settings = Settings.from_env()
    begin_worker(settings)
    app = create_app(settings)
    settle_garbage_collector()
    return app


def _unshareable(settings: Settings) -> str | None:
    """Why the settings cannot be served (by several worker processes), if they cannot."""
    if settings.workers < 1:
        return "--workers must be at least 1"
    if problem := header_timeout_problem(settings.header_timeout, "--header-timeout"):
        return problem
    if settings.max_connections is not None and settings.max_connections < 1:
        return "--max-connections must be at least 1"
    if settings.max_added_entries < 1:
        return "--max-added-entries must be at least 1"
    if settings.workers > 1 and settings.database == ":memory:":
        # Each worker would hold a world of its own and answer from it at random.
        return "--workers above 1 needs a shared database (a file or a URL), not :memory:"
    return None


def _unwritable_database(database: str) -> str | None:
    """Why a SQLite file database cannot be opened for writing, before the server starts
    (a container's /data owned by another user, say); None when it can or is not a file."""
    if "://" in database or database == ":memory:":
        return None
    path = Path(database).expanduser()
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create the database directory {directory}: {error.strerror}"
    if path.is_dir():
        return f"{path} is a directory: --database (or EMULATOR_DATABASE) names the file"
    target = path if path.exists() else directory
    if not os.access(target, os.W_OK):
        return (
            f"cannot write {target} (the database; set --database or EMULATOR_DATABASE "
            "to a writable place)"
        )
    if path.exists():
        return _not_sqlite(path)
    return None


def _not_sqlite(path: Path) -> str | None:
    """Why an existing file is not a SQLite database, read without changing it; None
    when it is one (or cannot be told now: the store's own start then says why)."""
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            return f"{path} is not a SQLite database: --database (or EMULATOR_DATABASE) names one"
    return None


def _missing_driver(database: str) -> str | None:
    """Why a PostgreSQL URL cannot be served here (its driver is an optional extra)."""
    if not database.startswith(("postgresql", "postgres:")):
        return None
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return (
            "a PostgreSQL database needs the asyncpg driver: pip install 'token-emulator[postgres]'"
        )
    return None


def check(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(fixtures_dir=args.fixtures)
    except SettingsError as error:
        return fail(str(error), UNUSABLE_SETTINGS)
    if not _load_fixtures(settings):
        return REFUSED
    print(f"fixtures in {settings.fixtures_dir} are valid")
    return 0
