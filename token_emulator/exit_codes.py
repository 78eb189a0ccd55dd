"""How the command line ends: its exit codes, and a failure as one line on stderr."""

from __future__ import annotations

import sys

# 1: refused (by the emulator, for missing credentials, or invalid fixtures at `check`).
REFUSED = 1
# 2: no emulator to talk to, input no request can carry, argparse's usage errors, or
# settings `serve` cannot start with.
UNREACHABLE = 2
UNUSABLE_SETTINGS = 2
# 3: `serve` started and could not go on (its database, a worker): uvicorn's own status.
STARTUP_FAILURE = 3


def fail(message: str, code: int) -> int:
    print(f"token-emulator: {message}", file=sys.stderr)
    return code
