"""`token <vendor>`: run a vendor's whole client flow against a running emulator."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from token_emulator.qa.mint import read_private_key
from token_emulator.qa.options import fixture_options, remote_options, wants_json
from token_emulator.qa.output import print_json
from token_emulator.qa.remote import Target, transport_errors
from token_emulator.testing import flows

# What each flow's answer holds the token in.
TOKEN_FIELDS = {
    "uneeq": "token",
    "unifize": "accessToken",
    "8x8": "auth_token",
    "web1on1": "token",
    "widget": "session_token",
}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="print each step of the flow to stderr"
    )
    parents = [remote_options(), fixture_options(), common]
    token = commands.add_parser(
        "token",
        parents=parents,
        help="run a vendor's whole flow against a running emulator and print the token",
        description="Credentials default to the fixture files' (the package's default "
        "fixtures, or --fixtures DIR). --json prints the vendor's whole answer.",
    )
    vendors = token.add_subparsers(dest="token_vendor", required=True)

    uneeq = vendors.add_parser("uneeq", parents=parents, help="request JWT -> single-use token")
    uneeq.add_argument("--workspace", default="demo", help="the workspace (default demo)")
    uneeq.add_argument("--secret", help="the workspace secret (default: from the fixtures)")
    uneeq.add_argument("--sid", default="", help="the sid claim")
    uneeq.add_argument("--custom-data", help="JSON for fm-custom-data")
    uneeq.add_argument(
        "--region", choices=["us", "eu", "au", "sg"], help="post through /uneeq/REGION"
    )
    uneeq.set_defaults(handler=_token, parser=uneeq, steps=_uneeq)

    unifize = vendors.add_parser("unifize", parents=parents, help="assertion -> access token")
    unifize.add_argument("--app", default="101", help="the app id (default 101)")
    unifize.add_argument(
        "--key", type=Path, help="private key PEM file (default: the fixtures' test key)"
    )
    unifize.add_argument(
        "--org", type=int, help="an org the app is installed in (installation path)"
    )
    unifize.add_argument("--lifetime", type=int, default=600, help="assertion lifetime (600)")
    unifize.set_defaults(handler=_token, parser=unifize, steps=_unifize)

    eight = vendors.add_parser("8x8", parents=parents, help="API key -> auth token (and room)")
    eight.add_argument("--api-key", help="the API key (default: the fixtures' first)")
    eight.add_argument("--create-room", action="store_true", help="also make a room")
    eight.add_argument("--phone-number", help="E.164 number the guest link is sent to")
    eight.add_argument("--call-reference", help="8 to 20 characters")
    eight.set_defaults(handler=_token, parser=eight, steps=_eightbyeight)

    web1on1 = vendors.add_parser("web1on1", parents=parents, help="email and password -> token")
    web1on1.add_argument("--email", help="the user (default: the fixtures' first admin)")
    web1on1.add_argument("--password", help="(default: the user's, from the fixtures)")
    web1on1.set_defaults(handler=_token, parser=web1on1, steps=_web1on1)

    widget = vendors.add_parser(
        "widget", parents=parents, help="guest (or user) visitor token -> session"
    )
    widget.add_argument("--client-key", help="the client key (default: the fixtures' first)")
    widget.add_argument(
        "--origin",
        default=flows.DEFAULT_ORIGIN,
        help=f"Origin sent (default {flows.DEFAULT_ORIGIN})",
    )
    widget.add_argument("--user-id", help="the user flow (user-token) instead of a guest")
    widget.add_argument(
        "--secret-key", help="for --user-id (default: the account's, from the fixtures)"
    )
    widget.add_argument("--agent-id", help="guest flow: the agent (default: the key's)")
    widget.add_argument("--display-name", help="user flow: display_name")
    widget.add_argument("--email", help="user flow: email")
    widget.set_defaults(handler=_token, parser=widget, steps=_widget)


def _fixtures(args: argparse.Namespace) -> Any:
    return getattr(args, "fixtures", None)


def _uneeq(args: argparse.Namespace) -> flows.Steps[dict[str, Any]]:
    custom_data = None
    if args.custom_data is not None:
        try:
            custom_data = json.loads(args.custom_data)
        except (ValueError, RecursionError) as error:
            args.parser.error(f"--custom-data is not JSON: {error}")
    return flows.uneeq_answer(
        args.workspace,
        secret=args.secret,
        sid=args.sid,
        custom_data=custom_data,
        region=args.region,
        fixtures=_fixtures(args),
    )


def _unifize(args: argparse.Namespace) -> flows.Steps[dict[str, Any]]:
    pem = read_private_key(args.parser, args.key) if args.key is not None else None
    return flows.unifize_answer(
        args.app, pem, args.org, lifetime=args.lifetime, fixtures=_fixtures(args)
    )


def _eightbyeight(args: argparse.Namespace) -> flows.Steps[dict[str, Any]]:
    return flows.eightbyeight_answer(
        args.api_key,
        args.create_room,
        args.phone_number,
        args.call_reference,
        fixtures=_fixtures(args),
    )


def _web1on1(args: argparse.Namespace) -> flows.Steps[dict[str, Any]]:
    if args.password is not None and args.email is None:
        args.parser.error("--password needs --email")
    return flows.web1on1_answer(args.email, args.password, fixtures=_fixtures(args))


def _widget(args: argparse.Namespace) -> flows.Steps[dict[str, Any]]:
    return flows.widget_answer(
        args.client_key,
        args.origin,
        args.user_id,
        args.secret_key,
        agent_id=args.agent_id,
        display_name=args.display_name,
        email=args.email,
        fixtures=_fixtures(args),
    )


@contextmanager
def steps_on_stderr(enabled: bool) -> Iterator[None]:
    """--verbose: the flow's steps (the flows logger, INFO) as lines on stderr."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("step: %(message)s"))
    logger = flows.log
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _token(args: argparse.Namespace) -> int:
    build: Callable[[argparse.Namespace], flows.Steps[dict[str, Any]]] = args.steps
    steps = build(args)
    target = Target.from_args(args)
    with (
        steps_on_stderr(getattr(args, "verbose", False)),
        target.client() as http,
        transport_errors(target.url),
    ):
        answer = flows.run(http, steps)
    if wants_json(args):
        print_json(answer)
    else:
        print(answer[TOKEN_FIELDS[args.token_vendor]])
    return 0
