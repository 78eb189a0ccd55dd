"""`serve --workers N`: uvicorn's worker processes on one port, with TCP_NODELAY."""

from __future__ import annotations

import contextlib
import inspect
import socket

from uvicorn import Config, Server
from uvicorn.supervisors import Multiprocess

from emulator.serving import uvicorn_options
from emulator.settings import Settings


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


def run_workers(app: str, workers: int, settings: Settings) -> None:
    """`uvicorn.run(app, factory=True, workers=N, **uvicorn_options(settings))`, with
    NoDelayConfig; `app` names a factory, since each worker is a fresh interpreter."""
    config = NoDelayConfig(app, factory=True, workers=workers, **uvicorn_options(settings))
    sockets = [config.bind_socket()]
    # uvicorn 0.30 took the workers' target as well; later ones build it themselves.
    if "target" in inspect.signature(Multiprocess).parameters:
        target = Server(config).run
        supervisor = Multiprocess(config, target=target, sockets=sockets)  # type: ignore[call-arg]
    else:
        supervisor = Multiprocess(config, sockets=sockets)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the supervisor stops the workers
        supervisor.run()
