"""`wait`: return once the emulator answers healthy, for CI scripts (as LocalStack's
`wait`): `token-emulator serve & token-emulator wait --timeout 30 && pytest`."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from token_emulator.client import EmulatorRefused, EmulatorUnreachable
from token_emulator.control import api
from token_emulator.exit_codes import REFUSED, UNREACHABLE, fail
from token_emulator.qa.options import positive_seconds, remote_options, wants_json
from token_emulator.qa.output import print_json
from token_emulator.qa.remote import Target

DEFAULT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.2


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    parser = commands.add_parser(
        name,
        parents=[remote_options(answer_timeout=False)],
        help=help,
        description="Asks GET /_emulator/health until it answers 200, then exits 0; exits "
        "1 when it answered but is not ready (503), 2 when nothing answered, by the end "
        "of --timeout.",
    )
    # Not the other commands' --timeout (each answer's): here it is the whole wait.
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_WAIT_SECONDS,
        help=f"seconds to wait in all (default {DEFAULT_WAIT_SECONDS:g})",
    )
    parser.set_defaults(handler=_wait)


def _wait(args: argparse.Namespace) -> int:
    target = Target.from_args(args)
    started = time.monotonic()  # real time: how long a CI step waits, not the emulator's
    deadline = started + args.timeout
    last: Exception | None = None
    each = replace(target, timeout=min(args.timeout, 5.0))  # one poll's own wait
    with each.client() as emulator:
        while True:
            try:
                health = emulator.call(api.HEALTH)
            except (EmulatorUnreachable, EmulatorRefused) as problem:
                last = problem
            else:
                waited = time.monotonic() - started
                if wants_json(args):
                    print_json({**health, "waited_seconds": round(waited, 3)})
                else:
                    print(
                        f"ready at {emulator.url} (version {health.get('version')}) "
                        f"after {waited:.1f} s"
                    )
                return 0
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(POLL_SECONDS, left))
    if isinstance(last, EmulatorRefused):
        return fail(
            f"{target.url} answered but is not ready after {args.timeout:g} s: "
            f"{last.status} {last.error}",
            REFUSED,
        )
    return fail(f"not healthy within {args.timeout:g} s: {last}", UNREACHABLE)
