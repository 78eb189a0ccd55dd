"""`schema`: the JSON Schema of a vendor's fixture file, for an editor to check a TOML
file with (docs/fixtures.md); the built-in vendors' are also shipped as files
(token_emulator/fixture_schemas/), a vendor of your own's is made here the same way."""

from __future__ import annotations

import argparse
from pathlib import Path

from token_emulator.qa.output import deliver
from token_emulator.vendors import all_clients


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    parser = commands.add_parser(name, help=help, description=help)
    parser.add_argument("vendor", choices=[client.id for client in all_clients()])
    parser.add_argument("--output", "-o", type=Path, help="write it to this file instead of stdout")
    parser.set_defaults(handler=_schema)


def _schema(args: argparse.Namespace) -> int:
    from token_emulator.fixture_schemas import schema_of, shown
    from token_emulator.vendors import client_of

    deliver(shown(schema_of(client_of(args.vendor))), args.output)
    return 0
