"""What the emulator relies on in uvicorn beyond `uvicorn.run`'s documented options.

- A fault that drops the connection closes the server's transport: ASGI has no
  message for "close without answering", and uvicorn's request cycle, whose
  bound method is the `send` it hands the app, keeps the transport.
- `serve --workers` builds uvicorn's `Multiprocess` supervisor itself (to hand
  each worker a socket of its own, workers.py), subclasses `Config` to set
  TCP_NODELAY on the socket it binds, and reads the exit codes of the
  supervisor's processes; a failed start exits with STARTUP_FAILURE.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
from typing import Any

from uvicorn import Config, Server
from uvicorn.supervisors import Multiprocess

from token_emulator import exit_codes

# The releases this module was checked against: >= the first, < the second.
CHECKED_AGAINST = ("0.50", "0.56")

# The exit status uvicorn gives a server whose start-up failed: 3 in every release,
# though its constant lives in uvicorn.main in some and uvicorn.config in others.
STARTUP_FAILURE = exit_codes.STARTUP_FAILURE


async def abort_connection(raw_send: Any) -> bool:
    """Close the client's connection without an answer, through the server's own `send`;
    False where there is no server transport (the app called in-process)."""
    cycle = getattr(raw_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    transport.abort()
    # Let the server see the connection lost before the app returns, so it does not
    # answer 500 for an app that sent nothing.
    for _ in range(3):
        await asyncio.sleep(0)
    return True


class NoDelayConfig(Config):
    """uvicorn's Config, whose shared listening socket gives connections TCP_NODELAY.

    For its workers uvicorn binds the shared socket itself, with the protocol
    number left at 0, and asyncio then leaves Nagle's algorithm on for the
    connections it accepts: every kept-alive request after the first waits for
    the client's delayed ACK, ~40 ms on Linux (uvicorn issue 3149; a one-process
    `serve` is unaffected). Linux hands TCP_NODELAY from a listening socket to
    each connection it accepts, so it is set on the listening socket. (Module
    level: the config is pickled to each worker.)
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def supervise(config: Config, sockets: list[Any]) -> list[int | None]:
    """Run uvicorn's worker supervisor on `sockets` (each is pickled to every worker it
    starts) until it stops, Ctrl-C included (it stops the workers); the exit codes of
    its last processes."""
    # Up to 0.5x uvicorn took the workers' target as well (0.50 does, 0.55 does not).
    if "target" in inspect.signature(Multiprocess).parameters:
        target = Server(config).run
        supervisor = Multiprocess(config, target=target, sockets=sockets)  # type: ignore[call-arg]
    else:
        supervisor = Multiprocess(config, sockets=sockets)
    with contextlib.suppress(KeyboardInterrupt):
        supervisor.run()
    return [p.exitcode for p in getattr(supervisor, "processes", ())]
