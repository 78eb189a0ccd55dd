"""What the emulator relies on in uvicorn beyond `uvicorn.run`'s documented options.

- A fault that drops the connection closes the server's transport: ASGI has no
  message for "close without answering", and uvicorn's request cycle, whose
  bound method is the `send` it hands the app, keeps the transport.
- Connections that hold a descriptor without sending a request are closed
  (GuardedH11Protocol, a subclass of uvicorn's h11 protocol): uvicorn times a
  connection out only after it answered, so one that sends nothing, or its
  headers a line at a time, would stay open forever, and enough of them leave
  no descriptor for anyone else.
- `serve --workers` builds uvicorn's `Multiprocess` supervisor itself (to hand
  each worker a socket of its own, workers.py), subclasses `Config` to set
  TCP_NODELAY on the socket it binds, and reads the exit codes of the
  supervisor's processes; a failed start exits with STARTUP_FAILURE.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import resource
import socket
from typing import Any

import h11
from uvicorn import Config, Server
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from token_emulator import exit_codes
from token_emulator.core.every_second import EverySecond

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


# The client's side of h11's state machine while a request is still coming: nothing yet
# (or part of its headers), or part of its body.
ARRIVING = frozenset({h11.IDLE, h11.SEND_BODY})
# Descriptors kept free under the process's limit for what is not a client connection:
# the database, the log, the listening socket, a worker's pipes.
RESERVED_DESCRIPTORS = 64
log = logging.getLogger("token_emulator")


def default_max_connections() -> int:
    """Open client connections one process takes: its descriptor limit less a reserve."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(16, min(soft - RESERVED_DESCRIPTORS, 60000))


class OverCapReport:
    """Connections closed for being over the cap, logged at most once a second."""

    def __init__(self) -> None:
        self.every_second = EverySecond()

    def note(self, cap: int) -> None:
        count = self.every_second.due()
        if count is not None:
            log.warning(
                "closed %d new connection(s) at once: %d are open, the most this process "
                "takes (--max-connections)",
                count,
                cap,
            )


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with two limits (`configure`, once per process):

    - a request, headers and body, must be complete within `header_timeout` seconds of
      the connection opening or of the request's first bytes, or the connection is
      closed (the app then sees the client gone); a request that has arrived is never
      cut, however long its answer takes, and an idle kept-alive connection is
      uvicorn's own keep-alive timeout's;
    - above `max_connections` open connections a new one is closed at once, unanswered,
      so the process keeps descriptors for those it serves (health among them).
    """

    header_timeout = 5.0
    max_connections = 1000
    over_cap = OverCapReport()

    @classmethod
    def configure(cls, header_timeout: float, max_connections: int | None) -> None:
        cls.header_timeout = header_timeout
        cls.max_connections = max_connections or default_max_connections()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.over_cap.note(self.max_connections)
            transport.abort()
            return
        self._await_request()  # a client that connects and sends nothing

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # a whole request is read here, at once
        if self.conn.their_state not in ARRIVING:
            if self._deadline is not None:  # it came in time
                self._deadline.cancel()
                self._deadline = None
        elif self._deadline is None and not self.transport.is_closing():
            # Part of a request: from now on the rest has the time limit. A request that
            # arrives whole (the usual case) never sets a timer.
            self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _await_request(self) -> None:
        self._deadline = self.loop.call_later(self.header_timeout, self._request_late)

    def _request_late(self) -> None:
        self._deadline = None
        if self.conn.their_state in ARRIVING and not self.transport.is_closing():
            log.debug("closed a connection whose request took over %g s", self.header_timeout)
            self.transport.close()
