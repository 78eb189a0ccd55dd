"""`mint`: print the JWT a vendor's client signs (UneeQ, Unifize), no server needed."""

from __future__ import annotations

import argparse
import base64
import json
from typing import Any

from token_emulator.core.vendor_client import Mint
from token_emulator.qa.options import (
    add_vendor_options,
    fixture_options,
    output_options,
    vendor_option_values,
    wants_json,
)
from token_emulator.qa.output import print_json
from token_emulator.vendors import all_clients


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    parents = [output_options(), fixture_options()]
    mint = commands.add_parser(name, parents=parents, help=help)
    vendors = mint.add_subparsers(dest="mint_vendor", required=True)
    for client in all_clients():
        if client.mint is None:
            continue
        parser = vendors.add_parser(client.id, parents=parents, help=client.mint.help)
        add_vendor_options(parser, client.mint.options)
        _claim_option(parser)
        parser.set_defaults(handler=_mint, parser=parser, minting=client.mint)


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


def _mint(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    minting: Mint = args.minting
    options = vendor_option_values(parser, args, minting.options)
    claims = _claims(parser, args.claim)
    _reserved(parser, claims, minting.reserved)
    token = minting.make(claims, **options, fixtures=getattr(args, "fixtures", None))
    return _print(args, token)
