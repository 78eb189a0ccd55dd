"""QA commands of `token-emulator`: mint client JWTs, run flows, drive a running emulator.

Each command is declared here by its name, its module and its help, so that
`token-emulator --help` lists them without importing any: a module (and what
it needs: httpx, the vendors' clients) is imported only for the command that
runs, whose parser its `add_parser(commands, name, help)` fills.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    module: str  # token_emulator.qa.<module>
    help: str


COMMANDS = {
    "mint": Command("mint", "print what a vendor's client signs before it calls (a JWT)"),
    "token": Command(
        "token", "run a vendor's whole flow against a running emulator and print the token"
    ),
    "clock": Command("control", "show or move the emulator clock"),
    "fault": Command("control", "inject, list or clear faults"),
    "reset": Command("control", "back to the fixtures: state, clock, faults, journal"),
    "state": Command("control", "what a vendor holds now (JSON)"),
    "requests": Command("journal", "the request journal: each vendor request, its status and why"),
    "worlds": Command("worlds", "list, create, delete, export and import isolated worlds"),
    "schema": Command("schema", "print the JSON Schema of a vendor's fixture file (for editors)"),
    "ca": Command("ca", "the local certificate authority of an emulator serving HTTPS (--tls)"),
    "wait": Command("wait", "wait until a running emulator answers healthy (for CI scripts)"),
}
