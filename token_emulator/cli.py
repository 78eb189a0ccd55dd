"""`token-emulator`: the command line. `serve` and `check` run from serve.py, the QA
commands from qa/; each is imported only when it runs, so `--help` and a QA command
load neither the server (Starlette, SQLAlchemy) nor the other commands."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from token_emulator.exit_codes import REFUSED, UNREACHABLE, fail
from token_emulator.qa import COMMANDS
from token_emulator.qa.arguments import arrange


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line, with the parser of `command` (the one that runs) filled: a QA
    command's module is imported only when it runs (qa/__init__.py)."""
    parser = argparse.ArgumentParser(
        prog="token-emulator",
        description="Emulator of vendor token servers for tests.",
        epilog="The options of a command that talks to a running emulator (--url, "
        "--admin-token, --timeout, --json) may come before the command's name as well: "
        "token-emulator --url http://127.0.0.1:8099 fault list.",
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
        "--header-timeout",
        type=float,
        help="seconds a client has to send a request's headers, from connecting or from "
        "the previous answer, before its connection is closed (default 5, env "
        "EMULATOR_HEADER_TIMEOUT)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        help="open connections one process takes; above it a new one is closed at once, "
        "unanswered (default: the process's descriptor limit less 64, env "
        "EMULATOR_MAX_CONNECTIONS)",
    )
    serve.add_argument(
        "--max-added-entries",
        type=int,
        help="entries the fixtures added at run time may hold per vendor until a reset; "
        "past it an addition is refused whole (default 100000, env "
        "EMULATOR_MAX_ADDED_ENTRIES)",
    )
    serve.add_argument(
        "--journal-body-limit",
        type=_byte_count,
        help="bytes of each request's and answer's body the journal keeps (default 65536, "
        "env EMULATOR_JOURNAL_BODY_LIMIT); it holds 64 MiB of them in all "
        "(EMULATOR_JOURNAL_BYTES), dropping the oldest entries",
    )
    serve.add_argument(
        "--world-ttl",
        type=_world_ttl,
        help="delete a world no request reached for this long, by the machine's clock "
        "(a duration: 24h, 30m, 90s; default 24h, env EMULATOR_WORLD_TTL)",
    )
    serve.add_argument(
        "--admin-token",
        help="require this Bearer token on /_emulator/ except health (env "
        "EMULATOR_ADMIN_TOKEN); every local user sees a flag in the process list, so "
        "prefer --admin-token-file or the environment",
    )
    serve.add_argument(
        "--admin-token-file",
        help="read the admin token from the first line of this file (env "
        "EMULATOR_ADMIN_TOKEN_FILE)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        help="also answer requests naming this host (repeatable; env EMULATOR_ALLOWED_HOSTS, "
        "comma-separated); localhost, IP addresses, single-label names (a compose service) "
        "and the bound host are always answered, any other name is refused",
    )
    serve.add_argument(
        "--allowed-origin",
        action="append",
        help="a web origin (https://qa.example.com) whose pages may change the emulator's "
        "state besides its own (repeatable; env EMULATOR_ALLOWED_ORIGINS)",
    )
    serve.add_argument(
        "--public-url",
        help="the base URL clients reach the emulator at, for the links it builds (8x8's "
        "guest link); default: the request's own (env EMULATOR_PUBLIC_URL)",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="serve HTTPS on the port, with a certificate from a local authority kept "
        "beside the database (X.tls/), or made for the run; clients trust its "
        "certificate, from GET /_emulator/ca.pem or `token-emulator ca` (env EMULATOR_TLS=1)",
    )
    serve.add_argument(
        "--tls-name",
        action="append",
        help="a host name or address the certificate holds besides localhost, 127.0.0.1, "
        "::1 and the bound host (repeatable; env EMULATOR_TLS_NAMES, comma-separated)",
    )
    serve.add_argument(
        "--tls-cert",
        help="serve HTTPS with this certificate file (PEM, with its chain) instead of a "
        "local authority's (env EMULATOR_TLS_CERT); needs --tls-key",
    )
    serve.add_argument(
        "--tls-key",
        help="the private key of --tls-cert (PEM; env EMULATOR_TLS_KEY)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes sharing the port and the database (default 1, env "
        "EMULATOR_WORKERS); each keeps its own request journal",
    )

    check = commands.add_parser("check", help="validate a fixture directory and exit")
    check.add_argument("--fixtures", type=Path, help="fixture directory to validate")

    for name, qa_command in COMMANDS.items():
        if name == command:
            module = importlib.import_module(f"token_emulator.qa.{qa_command.module}")
            module.add_parser(commands, name, qa_command.help)
        else:
            commands.add_parser(name, help=qa_command.help)
    return parser


def _world_ttl(text: str) -> float:
    from token_emulator.core.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be longer than zero")
    return seconds


def _byte_count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise argparse.ArgumentTypeError(f"a whole number of bytes, not {text[:40]!r}")
    return int(text)


def _stop_quietly(_signal: int, _frame: FrameType | None) -> None:
    """SIGTERM before uvicorn takes it over, or raised again by uvicorn after its graceful
    stop (it restores this handler first): exit 0, as `docker stop` expects. Without it
    the process would end killed by the signal, exit status 143, clean stop or not."""
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    given = arrange(list(sys.argv[1:] if argv is None else argv))
    if given[:1] == ["serve"]:
        signal.signal(signal.SIGTERM, _stop_quietly)  # first: a stop during start-up too
    command = given[0] if given and not given[0].startswith("-") else None
    args = _parser(command).parse_args(given)
    if args.command in ("serve", "check"):
        from token_emulator import serve

        return serve.serve(args) if args.command == "serve" else serve.check(args)
    try:
        code: int = args.handler(args)
    except Exception as error:
        return _qa_failure(error)
    return code


def _qa_failure(error: Exception) -> int:
    """A QA command's failure as one line on stderr and its exit code; anything else (a
    bug) is raised on. The error types are imported only now: a command that reads no
    fixtures never loads the fixture schemas (pydantic)."""
    from token_emulator.client import EmulatorDropped, EmulatorRefused, EmulatorUnreachable
    from token_emulator.core.calls import FlowError
    from token_emulator.core.fixtures import FixtureError
    from token_emulator.core.vendor_client import MissingCredential
    from token_emulator.qa.output import OutputFailed
    from token_emulator.qa.remote import refusal_message

    if isinstance(error, EmulatorUnreachable):
        return fail(str(error), UNREACHABLE)
    if isinstance(error, EmulatorRefused):
        return fail(refusal_message(error), REFUSED)
    if isinstance(error, EmulatorDropped | FlowError | MissingCredential):
        return fail(str(error), REFUSED)
    if isinstance(error, OutputFailed):
        return fail(str(error), UNREACHABLE)
    if isinstance(error, FixtureError):
        return fail(f"the fixtures are not valid: {error}".replace("\n", "; "), REFUSED)
    raise error
