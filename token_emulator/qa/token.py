"""`token <vendor>`: run a vendor's whole client flow against a running emulator."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from token_emulator.client import transport_errors
from token_emulator.core.calls import log as flows_log
from token_emulator.core.calls import run
from token_emulator.core.vendor_client import VendorClient
from token_emulator.qa.options import (
    add_vendor_options,
    fixture_options,
    remote_options,
    vendor_option_values,
    wants_json,
)
from token_emulator.qa.output import print_json
from token_emulator.qa.remote import Target
from token_emulator.vendors import all_clients


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="print each step of the flow to stderr"
    )
    parents = [remote_options(), fixture_options(), common]
    token = commands.add_parser(
        name,
        parents=parents,
        help=help,
        description="Credentials default to the fixture files' (the package's default "
        "fixtures, or --fixtures DIR). --json prints the vendor's whole answer.",
    )
    vendors = token.add_subparsers(dest="token_vendor", required=True)
    for client in all_clients():
        parser = vendors.add_parser(client.id, parents=parents, help=client.summary)
        add_vendor_options(parser, client.options)
        parser.set_defaults(handler=_token, parser=parser, client=client)


@contextmanager
def steps_on_stderr(enabled: bool) -> Iterator[None]:
    """--verbose: the flow's steps (the flows logger, INFO) as lines on stderr."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("step: %(message)s"))
    level = flows_log.level
    flows_log.addHandler(handler)
    flows_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        flows_log.removeHandler(handler)
        flows_log.setLevel(level)


def _token(args: argparse.Namespace) -> int:
    client: VendorClient = args.client
    options = vendor_option_values(args.parser, args, client.options)
    target = Target.from_args(args)
    with (
        steps_on_stderr(getattr(args, "verbose", False)),
        target.client() as emulator,
        transport_errors(target.url),
    ):
        steps = client.answer(**options, fixtures=getattr(args, "fixtures", None))
        answer = run(emulator.http, steps)
    if wants_json(args):
        print_json(answer)
    else:
        print(answer[client.token_field])
    return 0
