"""2. Reset: POST /_emulator/reset with the default fixtures.

Before each timed reset an untimed token request (of the vendor with a redemption,
bench/workloads.redeeming) leaves something to
clear, as a test would. Timed over HTTP (one kept-alive connection to a
`serve` process, http.client) and in-process (bench/asgi.py); a few untimed
resets first.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.asgi import running
from bench.stats import summary_ms
from bench.workloads import HttpRequest, redeeming, token_request
from token_emulator.app import create_app
from token_emulator.settings import Settings, default_fixtures_dir

WARM_UP = 10
RESET = HttpRequest("POST", "/_emulator/reset")


class ResetFailed(RuntimeError):
    pass


def _over_http(work: Path, resets: int) -> list[float]:
    fixtures = default_fixtures_dir()
    token = token_request(redeeming(), fixtures)
    samples: list[float] = []
    warm_up = min(WARM_UP, resets)
    with servers.emulator(work, fixtures) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

        def send(request: HttpRequest) -> int:
            connection.request(request.method, request.path, request.body, dict(request.headers))
            answer = connection.getresponse()
            answer.read()
            return answer.status

        for index in range(warm_up + resets):
            if send(token) != 200:
                raise ResetFailed("the token request before a reset was refused")
            started = time.perf_counter()
            status = send(RESET)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise ResetFailed(f"reset answered {status}")
            if index >= warm_up:
                samples.append(elapsed)
        connection.close()
    return samples


async def _in_process(work: Path, resets: int) -> list[float]:
    fixtures = default_fixtures_dir()
    settings = Settings(fixtures_dir=fixtures, database=str(work / "in-process.sqlite3"))
    token = token_request(redeeming(), fixtures)
    samples: list[float] = []
    warm_up = min(WARM_UP, resets)
    async with running(create_app(settings)) as caller:
        for index in range(warm_up + resets):
            status, _ = await token.send(caller)
            if status != 200:
                raise ResetFailed("the token request before a reset was refused")
            started = time.perf_counter()
            status, _ = await RESET.send(caller)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise ResetFailed(f"reset answered {status}")
            if index >= warm_up:
                samples.append(elapsed)
    return samples


def run(work: Path, *, resets: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    return {
        "http": {
            **summary_ms(_over_http(work, resets)),
            "how": "POST /_emulator/reset to `serve`, one kept-alive connection (http.client)",
        },
        "in_process": {
            **summary_ms(asyncio.run(_in_process(work, resets))),
            "how": "the ASGI app called directly (bench/asgi.py)",
        },
    }
