"""4. HTTP throughput and p99 of each vendor's token endpoint, with its state write.

For 1 and then 2 server processes (`serve --workers N`; the reference app with
the same uvicorn workers), in one block per process count: the bare Starlette
JSON endpoint, the five vendors' token endpoints, the bare endpoint again (the
two bare runs bracket the vendors, so drift on the shared machine shows).
oauth2-mock-server's client-credentials token endpoint runs once, as one
process (node is single-threaded and the mock has no worker option). Each
target first answers one request checked by hand, then gets an untimed
warm-up, then the measured run. The server's CPU time over the measured run
is read from /proc: CPU per request is the figure that other sessions' load
moves least.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import load, servers
from bench.workloads import (
    BARE_REQUEST,
    OAUTH2_MOCK_REQUEST,
    HttpRequest,
    route_descriptions,
    token_requests,
)

Generator = Callable[[int, HttpRequest, float], load.LoadResult]


class TargetRefused(RuntimeError):
    pass


def generator(wrk: str | None, connections: int) -> Generator:
    if wrk is not None:
        return lambda port, request, seconds: load.run_wrk(
            wrk, port, request, connections=connections, seconds=seconds
        )

    def python(port: int, request: HttpRequest, seconds: float) -> load.LoadResult:
        result, _ = load.run_python(
            port,
            load.repeat(request, port),
            connections=connections,
            seconds=seconds,
            expected_status=request.expect,
        )
        return result

    return python


def check_once(port: int, request: HttpRequest) -> None:
    """One request by hand: a target that refuses a valid request is not measured."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(request.method, request.path, request.body, dict(request.headers))
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    if answer.status != request.expect:
        raise TargetRefused(
            f"{request.method} {request.path} answered {answer.status} "
            f"({answer.getheader('x-emulator-reason')}): {body[:300]!r}"
        )


def measure(
    server: servers.Server,
    request: HttpRequest,
    send: Generator,
    *,
    seconds: float,
    warm_up: float,
) -> dict[str, Any]:
    try:
        check_once(server.port, request)
    except TargetRefused as refused:
        return {"refused": str(refused), "clean": False}
    if warm_up > 0:
        send(server.port, request, warm_up)
    cpu_before = server.cpu_seconds()
    result = send(server.port, request, seconds)
    cpu = server.cpu_seconds() - cpu_before
    figures = result.as_json()
    figures["server_cpu_seconds"] = cpu
    figures["server_cpu_ms_per_request"] = cpu / result.requests * 1000 if result.requests else None
    return figures


def run(
    work: Path,
    fixtures: Path,
    *,
    seconds: float,
    warm_up: float,
    connections: int,
    wrk: str | None,
    node: bool,
    process_counts: tuple[int, ...] = (1, 2),
) -> dict[str, Any]:
    send = generator(wrk, connections)
    requests = token_requests(fixtures)
    results: dict[str, Any] = {"routes": route_descriptions(fixtures), "by_processes": {}}
    for processes in process_counts:
        block: dict[str, Any] = {}
        with (
            servers.reference(work, workers=processes) as bare,
            servers.emulator(work, fixtures, workers=processes) as emulator,
        ):
            block["bare_starlette_before"] = measure(
                bare, BARE_REQUEST, send, seconds=seconds, warm_up=warm_up
            )
            for vendor, request in requests.items():
                block[vendor] = measure(emulator, request, send, seconds=seconds, warm_up=warm_up)
            block["bare_starlette_after"] = measure(
                bare, BARE_REQUEST, send, seconds=seconds, warm_up=warm_up
            )
        results["by_processes"][str(processes)] = block
    if node:
        with servers.oauth2_mock(work) as mock:
            results["oauth2_mock"] = measure(
                mock, OAUTH2_MOCK_REQUEST, send, seconds=seconds, warm_up=warm_up
            )
    return results
