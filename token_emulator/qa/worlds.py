"""`worlds`: list, create, delete, export and import the worlds of a running emulator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from token_emulator.qa.options import remote_options, wants_json
from token_emulator.qa.output import deliver, emit, print_json, table
from token_emulator.qa.remote import Target

if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

ACTIONS = ("list", "create", "delete", "export", "import")


def add_parser(commands: Commands, name: str, help: str) -> None:
    remote = remote_options()
    worlds = commands.add_parser(
        name,
        parents=[remote],
        help=help,
        description="Each world is an independent copy of the emulator (its own state, "
        "clock, faults and journal) at /worlds/NAME/...; the paths without a prefix are "
        "the world named default. Other commands act in one with --world NAME.",
    )
    actions = worlds.add_subparsers(dest="worlds_action", required=True)
    actions.add_parser("list", parents=[remote], help="every world: created, last request")
    create = actions.add_parser(
        "create", parents=[remote], help="a new world, seeded from the server's fixtures"
    )
    create.add_argument("name", nargs="?", help="its name (default: a generated one)")
    create.add_argument("--copy-of", help="a copy of this world's state now")
    create.add_argument(
        "--fixtures-file",
        type=Path,
        help="a JSON file {VENDOR: {sections of its fixture file}} added to the server's "
        "fixtures for this world (kept across its resets)",
    )
    delete = actions.add_parser("delete", parents=[remote], help="a world and all its state")
    delete.add_argument("name")
    export = actions.add_parser(
        "export", parents=[remote], help="the world (--world, default: default) as JSON"
    )
    export.add_argument("--output", "-o", type=Path, help="write it to this file, not stdout")
    imported = actions.add_parser(
        "import", parents=[remote], help="a new world holding what an export file holds"
    )
    imported.add_argument("file", type=Path, help="an export file (- for stdin)")
    imported.add_argument("--name", help="the new world's name (default: a generated one)")
    worlds.set_defaults(handler=_worlds, parser=worlds)


def _read_json(path: Path, parser: argparse.ArgumentParser) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        parser.error(f"{path}: {error}")


def _worlds(args: argparse.Namespace) -> int:
    action = args.worlds_action
    with Target.from_args(args).client() as emulator:
        if action == "list":
            listed = emulator.worlds()
            if wants_json(args):
                print_json({"worlds": listed})
            else:
                rows = [[w["name"], w["created"], w.get("last_request") or "-"] for w in listed]
                emit(table(["NAME", "CREATED", "LAST REQUEST"], rows))
            return 0
        if action == "delete":
            emulator.delete_world(args.name)
            if wants_json(args):
                print_json({"deleted": args.name})
            else:
                print(f"deleted world {args.name}")
            return 0
        if action == "export":
            document = emulator.export()
            deliver(json.dumps(document, indent=2, ensure_ascii=False) + "\n", args.output)
            if args.output is not None:
                print(f"world {emulator.world} written to {args.output}", file=sys.stderr)
            return 0
        if action == "create":
            fixtures = _read_json(args.fixtures_file, args.parser) if args.fixtures_file else None
            made = emulator.create_world(args.name, fixtures=fixtures, copy_of=args.copy_of)
        else:
            document = _read_json(args.file, args.parser)
            made = emulator.create_world(args.name, document=document)
    if wants_json(args):
        print_json(made)
    else:
        print(f"world {made['name']}: control plane {made['control']}")
        emit(table(["VENDOR", "BASE URL"], [[v, url] for v, url in made["urls"].items()]))
    return 0
