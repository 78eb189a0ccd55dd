"""Options the QA commands share. Every one is SUPPRESSed by default, so a flag given
before or after a sub-command's own name is kept and never reset by a nested parser."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from token_emulator.client import DEFAULT_TIMEOUT
from token_emulator.qa.remote import DEFAULT_URL

if TYPE_CHECKING:
    from token_emulator.core.vendor_client import Option

MAX_SECONDS = 86400


def positive_seconds(text: str) -> float:
    """An argparse type: seconds above 0, at most a day (time.sleep refuses huge values)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds above 0, at most {MAX_SECONDS}")
    return value


def finite_number(text: str) -> float:
    """An argparse type: a finite number (JSON has no NaN or Infinity)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number")
    return value


def output_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parent


def remote_options(*, answer_timeout: bool = True) -> argparse.ArgumentParser:
    """--url, --admin-token and --json; --timeout for each answer unless the command has a
    --timeout of its own (`wait`)."""
    parent = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS, parents=[output_options()]
    )
    parent.add_argument(
        "--url", help=f"the running emulator (default {DEFAULT_URL}, env EMULATOR_URL)"
    )
    parent.add_argument(
        "--admin-token",
        help="sent as Bearer to /_emulator/ when the emulator has one (env EMULATOR_ADMIN_TOKEN)",
    )
    parent.add_argument(
        "--world",
        help="the world to act in (default: the default world, or the one a --url ending in "
        "/worlds/NAME names; env EMULATOR_WORLD)",
    )
    parent.add_argument(
        "--ca-file",
        help="trust this certificate authority for an https:// emulator: the ca.pem of "
        "`serve --tls` (`token-emulator ca` prints it; env EMULATOR_CA_FILE)",
    )
    if answer_timeout:
        parent.add_argument(
            "--timeout",
            type=positive_seconds,
            help=f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})",
        )
    return parent


def fixture_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument(
        "--fixtures",
        type=Path,
        help="fixture directory the default credentials come from (default: the package's)",
    )
    return parent


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def add_vendor_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """A vendor's flow (or mint) options, as its client.py declares them."""
    for option in options:
        if option.switch:
            parser.add_argument(
                option.flag, dest=option.name, action="store_true", help=option.help
            )
        else:
            action = parser.add_argument(
                option.flag,
                dest=option.name,
                default=option.default,
                choices=option.choices,
                help=option.help,
            )
            action.type = option.type


def vendor_option_values(
    parser: argparse.ArgumentParser, args: argparse.Namespace, options: Sequence[Option]
) -> dict[str, Any]:
    """The options given, read by their own `parse`; a usage error names the flag."""
    values: dict[str, Any] = {}
    by_flag = {option.flag: option for option in options}
    for option in options:
        value = getattr(args, option.name)
        needed = by_flag[option.requires] if option.requires is not None else None
        given = value not in (None, False)
        if needed is not None and given and getattr(args, needed.name) in (None, False):
            parser.error(f"{option.flag} needs {needed.flag}")
        if option.parse is not None and isinstance(value, str):
            try:
                value = option.parse(value)
            except ValueError as problem:
                parser.error(f"{option.flag} {problem}")
        values[option.name] = value
    return values
