"""`serve --workers N`: uvicorn's worker processes on one port, with TCP_NODELAY,
each with its own listening socket where the kernel spreads connections over them."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
from dataclasses import dataclass
from typing import Any

from token_emulator.adapters.uvicorn import STARTUP_FAILURE, NoDelayConfig, supervise
from token_emulator.serving import configure_logging, guarded_protocol, uvicorn_options
from token_emulator.settings import Settings

# Linux hands each new connection to one of the listening sockets that share a port
# (SO_REUSEPORT), by a hash of the connection's addresses. Other systems accept the
# option without spreading connections (macOS gives them all to one socket).
SPREADS_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
log = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class OwnListener:
    """Where uvicorn's supervisor hands each worker the socket to serve, this stands
    for a listening socket the worker binds itself, on the port the parent holds.

    With one socket shared by every worker, the worker that wakes first accepts
    every connection waiting (asyncio accepts up to the backlog at a time): a
    client opening its 32 kept-alive connections at once had them all served
    by one worker while the others idled, in about half of the benchmark's
    runs. With a socket each, the kernel spreads the connections. uvicorn
    spawns its workers, pickling their arguments, so this becomes the worker's
    socket there; a worker the supervisor restarts binds a new one."""

    family: int
    address: tuple[Any, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return (bind_own_listener, (self.family, self.address))


def _reusing_socket(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def bind_own_listener(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A worker's own socket on the shared port (asyncio's server makes it listen).

    IPPROTO_TCP and TCP_NODELAY: see NoDelayConfig (adapters/uvicorn.py)."""
    sock = _reusing_socket(family)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        # Before the worker has set up logging; the supervisor stops on this exit
        # status rather than starting the worker again and again.
        sys.stderr.write(f"worker cannot listen on {address}: {error}\n")
        sys.exit(STARTUP_FAILURE)
    return sock


# prctl(2)'s option: the signal this process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1


def end_with_parent() -> None:
    """In a worker, on Linux: be sent SIGTERM (uvicorn's graceful stop) when the `serve`
    process that started it dies, however it dies.

    Its supervisor stops the workers when it is told to stop, but a parent killed
    outright (SIGKILL, the OOM killer) left them serving the port and holding the
    database, so a new `serve` on that port could not start. The supervisor starts
    every worker, restarted ones too, from its main thread, which lives as long as
    the process. Elsewhere, or where prctl is not to be had, nothing changes."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent.pid:  # it died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)


def begin_worker(settings: Settings) -> None:
    """First thing in a worker process, before its app: stop with the `serve` that
    started it, and log as `serve` does (a fresh interpreter inherits no set-up)."""
    end_with_parent()
    configure_logging(settings)
    guarded_protocol(settings)  # its limits on slow clients, in this process


class HeldPort:
    """The port the workers share, held by the parent for as long as it runs: bound and
    never listened on, so it takes no connections; the workers' sockets join it."""

    def __init__(self, held: socket.socket, claim: socket.socket) -> None:
        self._held = held
        self._claim = claim
        self.family: int = held.family
        self.address: tuple[Any, ...] = held.getsockname()

    def close(self) -> None:
        self._held.close()
        self._claim.close()

    def __enter__(self) -> HeldPort:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _claim_name(port: int) -> str:
    # Linux's abstract namespace: no file, gone with the process that bound it.
    return f"\0token-emulator serve --workers, port {port}"


def hold_port(host: str, port: int, scheme: str = "http") -> HeldPort:
    """Hold the port for the workers (port 0: the one picked here), or exit as uvicorn
    does when it cannot bind.

    Checked free first with a socket that does not share: that fails where anything
    listens on the port. Another `serve --workers` starting at the same moment has
    no listening worker yet, and ours would join its port: each also claims the
    port's name in the abstract socket namespace, which one process holds at a time."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    held = _reusing_socket(family)
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        held.bind((host, port))
        picked = held.getsockname()[1]
        try:
            claim.bind(_claim_name(picked))
        except OSError as error:
            raise OSError(
                error.errno, f"{error.strerror}: another serve --workers holds port {picked}"
            ) from None
    except OSError as error:
        held.close()
        claim.close()
        log.error(error)  # as uvicorn's own bind reports it
        sys.exit(STARTUP_FAILURE)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    log.info("Uvicorn running on %s://%s:%d (Press CTRL+C to quit)", scheme, shown, picked)
    return HeldPort(held, claim)


def run_workers(app: str, workers: int, settings: Settings) -> None:
    """`uvicorn.run(app, factory=True, workers=N, **uvicorn_options(settings))`, with
    NoDelayConfig (adapters/uvicorn.py) and, on Linux, a listening socket per worker
    (OwnListener); `app` names a factory, since each worker is a fresh interpreter."""
    config = NoDelayConfig(app, factory=True, workers=workers, **uvicorn_options(settings))
    held: HeldPort | None = None
    sockets: list[Any]
    if SPREADS_CONNECTIONS:
        scheme = "https" if settings.tls_cert is not None else "http"
        held = hold_port(settings.host, settings.port, scheme)
        sockets = [OwnListener(held.family, held.address)]
    else:
        sockets = [config.bind_socket()]
    try:
        exit_codes = supervise(config, sockets)
    finally:
        if held is not None:
            held.close()
    # The supervisor stops when a worker cannot start (its app, its socket), and says
    # so in the log; `serve` then exits as a one-process start that fails does.
    if STARTUP_FAILURE in exit_codes:
        sys.exit(STARTUP_FAILURE)
