"""`mint`: print the JWT a vendor's client signs (UneeQ, Unifize), no server needed."""

from __future__ import annotations

import argparse
import base64
import json
import math
from pathlib import Path
from typing import Any

from token_emulator.core.clock import parse_instant
from token_emulator.qa.options import fixture_options, output_options, wants_json
from token_emulator.qa.output import print_json
from token_emulator.testing.clients import uneeq_request_jwt, unifize_assertion
from token_emulator.testing.credentials import uneeq_secret, unifize_private_key


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parents = [output_options(), fixture_options()]
    mint = commands.add_parser(
        "mint",
        parents=parents,
        help="print a client-side JWT (UneeQ request JWT, Unifize assertion)",
    )
    vendors = mint.add_subparsers(dest="mint_vendor", required=True)

    uneeq = vendors.add_parser(
        "uneeq", parents=parents, help="the HS256 request JWT a customer's server signs"
    )
    uneeq.add_argument("--workspace", default="demo", help="the workspace (default demo)")
    uneeq.add_argument("--sid", default="", help="the sid claim (default empty)")
    uneeq.add_argument("--custom-data", help="JSON for fm-custom-data (sent stringified)")
    uneeq.add_argument("--secret", help="the workspace secret (default: from the fixtures)")
    _claim_option(uneeq)
    uneeq.set_defaults(handler=_mint_uneeq, parser=uneeq)

    unifize = vendors.add_parser(
        "unifize", parents=parents, help="the RS256 client assertion of a Unifize app"
    )
    unifize.add_argument("--app", default="101", help="the app id, the iss claim (default 101)")
    unifize.add_argument(
        "--key", type=Path, help="private key PEM file (default: the fixtures' test-only key)"
    )
    unifize.add_argument(
        "--lifetime", type=int, default=600, help="exp - iat in seconds (default 600)"
    )
    unifize.add_argument(
        "--issued-at",
        help="iat as ISO-8601 or epoch seconds (default now; after moving the emulator "
        "clock, give its time, or use `token unifize`, which reads it)",
    )
    _claim_option(unifize)
    unifize.set_defaults(handler=_mint_unifize, parser=unifize)


def _claim_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra or replaced claim; VALUE is read as JSON, else taken as text (repeatable)",
    )


def _claims(parser: argparse.ArgumentParser, given: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for item in given:
        name, equals, text = item.partition("=")
        if not equals or not name:
            parser.error(f"--claim {item!r}: write NAME=VALUE")
        try:
            claims[name] = json.loads(text)
        except (ValueError, RecursionError):
            claims[name] = text
    return claims


def _reserved(
    parser: argparse.ArgumentParser, claims: dict[str, Any], names: tuple[str, ...]
) -> None:
    # The builders take these as arguments; they are no vendor's claim names.
    for name in names:
        if name in claims:
            parser.error(f"--claim {name}: not a claim this command can set")


def _segment(part: str) -> Any:
    # Only to show what was just signed here; the emulator's reading is core/tokens.py's.
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _print(args: argparse.Namespace, token: str) -> int:
    if wants_json(args):
        header, claims = (_segment(part) for part in token.split(".")[:2])
        print_json({"jwt": token, "header": header, "claims": claims})
    else:
        print(token)
    return 0


def _mint_uneeq(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    custom_data = None
    if args.custom_data is not None:
        try:
            custom_data = json.loads(args.custom_data)
        except (ValueError, RecursionError) as error:
            parser.error(f"--custom-data is not JSON: {error}")
    secret = args.secret
    if secret is None:
        secret = uneeq_secret(args.workspace, getattr(args, "fixtures", None))
    claims = _claims(parser, args.claim)
    sid = claims.pop("sid", args.sid)
    _reserved(parser, claims, ("secret", "workspace", "custom_data"))
    token = uneeq_request_jwt(secret, args.workspace, sid=sid, custom_data=custom_data, **claims)
    return _print(args, token)


def _mint_unifize(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    issued_at = None
    if args.issued_at is not None:
        try:
            issued_at = float(args.issued_at)
        except ValueError:
            try:
                issued_at = parse_instant(args.issued_at)
            except (ValueError, OverflowError):
                parser.error(f"--issued-at {args.issued_at!r}: give ISO-8601 or epoch seconds")
        if not math.isfinite(issued_at):
            parser.error(f"--issued-at {args.issued_at!r}: give ISO-8601 or epoch seconds")
    if args.key is not None:
        pem = read_private_key(parser, args.key)
    else:
        pem = unifize_private_key(args.app, getattr(args, "fixtures", None))
    claims = _claims(parser, args.claim)
    _reserved(parser, claims, ("app_id", "private_key_pem", "issued_at", "lifetime"))
    token = unifize_assertion(args.app, pem, issued_at=issued_at, lifetime=args.lifetime, **claims)
    return _print(args, token)


def read_private_key(parser: argparse.ArgumentParser, path: Path) -> str:
    """The PEM text of `--key`, once it has signed a test assertion (a usage error if not)."""
    try:
        pem = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        parser.error(f"--key {path}: {error}")
    try:
        unifize_assertion(0, pem)
    except Exception as error:  # whatever the JOSE library says, this key cannot sign RS256
        parser.error(f"--key {path}: not an RSA private key PEM ({error})")
    return pem
