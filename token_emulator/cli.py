"""`token-emulator`: serve the emulator, check fixtures, and the QA commands (qa/)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from token_emulator.control.admin import LOOPBACK_HOSTS
from token_emulator.core.fixtures import FixtureError
from token_emulator.serving import configure_logging, settle_garbage_collector, uvicorn_options
from token_emulator.settings import Settings, SettingsError

if TYPE_CHECKING:
    from starlette.applications import Starlette

# Exit codes of the QA commands: 1 refused (by the emulator or for missing credentials),
# 2 no emulator to talk to, or input no request can carry (and argparse's usage errors).
REFUSED = 1
UNREACHABLE = 2


# Commands that need no QA client: `serve` then starts without importing one.
SERVER_COMMANDS = frozenset({"serve", "check"})


def _parser(*, with_qa: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="token-emulator", description="Emulator of vendor token servers for tests."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the emulator")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, env EMULATOR_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080, env EMULATOR_PORT)")
    serve.add_argument(
        "--fixtures",
        type=Path,
        help="fixture directory (default: the package's default fixtures; env EMULATOR_FIXTURES)",
    )
    serve.add_argument(
        "--database",
        help="keep state across restarts in this SQLite file, or in a database URL "
        "(sqlite:///..., postgresql://...); ':memory:' for one process's memory "
        "(default: a temporary file, deleted when the server stops; env EMULATOR_DATABASE)",
    )
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--max-body-bytes",
        type=_byte_count,
        help="longer request bodies are answered 413 unread "
        "(default 65536, env EMULATOR_MAX_BODY_BYTES)",
    )
    serve.add_argument(
        "--admin-token",
        help="require this Bearer token on /_emulator/ except health (env EMULATOR_ADMIN_TOKEN)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes sharing the port and the database (default 1, env "
        "EMULATOR_WORKERS); each keeps its own request journal",
    )

    check = commands.add_parser("check", help="validate a fixture directory and exit")
    check.add_argument("--fixtures", type=Path, help="fixture directory to validate")

    if with_qa:
        from token_emulator.qa import control, journal, mint, token

        mint.add_parser(commands)
        token.add_parser(commands)
        control.add_parsers(commands)
        journal.add_parser(commands)
    return parser


def _byte_count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise argparse.ArgumentTypeError(f"a whole number of bytes, not {text[:40]!r}")
    return int(text)


def _load_fixtures(settings: Settings) -> bool:
    from token_emulator.core.world import load_fixtures
    from token_emulator.vendors import all_vendors

    try:
        load_fixtures(settings, all_vendors())
    except FixtureError as error:
        print(f"fixtures in {settings.fixtures_dir} are not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return False
    return True


def _serve(args: argparse.Namespace) -> int:
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
            admin_token=args.admin_token,
            workers=args.workers,
            max_body_bytes=args.max_body_bytes,
        )
    except SettingsError as error:
        return _fail(str(error), 2)
    problem = _unshareable(settings)
    if settings.database is not None:
        problem = (
            problem or _unwritable_database(settings.database) or _missing_driver(settings.database)
        )
    if problem:
        return _fail(problem, 2)
    configure_logging(settings)
    if not _load_fixtures(settings):
        return 2
    if settings.admin_token is None and settings.host not in LOOPBACK_HOSTS:
        logging.getLogger("token_emulator").warning(
            "the control plane (/_emulator/) is open to anyone who can reach %s:%s; "
            "set EMULATOR_ADMIN_TOKEN or --admin-token to close it",
            settings.host,
            settings.port,
        )
    if settings.workers == 1:
        app = create_app(settings)
        settle_garbage_collector()
        uvicorn.run(app, **uvicorn_options(settings))
        return 0
    # uvicorn starts each worker as a fresh interpreter that imports the app by
    # name; the settings reach it through the environment (worker_app below).
    from token_emulator.core.temporary import TemporaryDatabase
    from token_emulator.workers import run_workers

    with contextlib.ExitStack() as owned:
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


def _stop_quietly(_signal: int, _frame: FrameType | None) -> None:
    """SIGTERM before uvicorn takes it over, or raised again by uvicorn after its graceful
    stop (it restores this handler first): exit 0, as `docker stop` expects. Without it
    the process would end killed by the signal, exit status 143, clean stop or not."""
    raise SystemExit(0)


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
    """Why the settings cannot be served by several worker processes, if they cannot."""
    if settings.workers < 1:
        return "--workers must be at least 1"
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


def _check(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(fixtures_dir=args.fixtures)
    except SettingsError as error:
        return _fail(str(error), 2)
    if not _load_fixtures(settings):
        return 1
    print(f"fixtures in {settings.fixtures_dir} are valid")
    return 0


def _fail(message: str, code: int) -> int:
    print(f"token-emulator: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["serve"]:
        signal.signal(signal.SIGTERM, _stop_quietly)  # first: a stop during start-up too
    args = _parser(with_qa=not given or given[0] not in SERVER_COMMANDS).parse_args(given)
    if args.command == "serve":
        return _serve(args)
    if args.command == "check":
        return _check(args)
    from token_emulator.client import EmulatorDropped, EmulatorRefused, EmulatorUnreachable
    from token_emulator.core.calls import FlowError
    from token_emulator.core.vendor_client import MissingCredential
    from token_emulator.qa.remote import refusal_message

    try:
        code: int = args.handler(args)
    except EmulatorUnreachable as error:
        return _fail(str(error), UNREACHABLE)
    except EmulatorRefused as error:
        return _fail(refusal_message(error), REFUSED)
    except (EmulatorDropped, FlowError, MissingCredential) as error:
        return _fail(str(error), REFUSED)
    except FixtureError as error:
        return _fail(f"the fixtures are not valid: {error}".replace("\n", "; "), REFUSED)
    return code
