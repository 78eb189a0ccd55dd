"""The bare Starlette app the emulator is measured beside: a JSON endpoint and a health check.

Served by uvicorn with exactly `token-emulator serve`'s options and logging
(token_emulator/serving.py), so the difference in a figure is the emulator's own
work: routing, middleware, the journal, the store, the vendor rules.

    python -m bench.reference_app --port 8081 [--workers 2]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

JSON_PATH = "/json"
HEALTH_PATH = "/_emulator/health"


async def health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ready"})


async def json_endpoint(request: Request) -> JSONResponse:
    # Reads the body as a token endpoint must, and answers a token-sized JSON object.
    body = await request.body()
    return JSONResponse({"token": "bare-starlette-reference-token", "received": len(body)})


def create_reference_app() -> Starlette:
    return Starlette(
        routes=[
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route(JSON_PATH, json_endpoint, methods=["GET", "POST"]),
        ]
    )


app = create_reference_app()


def worker_app() -> Starlette:
    """One worker's app: a fresh interpreter, so logging is set up again, as `serve` does."""
    from token_emulator.serving import settle_garbage_collector
    from token_emulator.settings import Settings
    from token_emulator.workers import begin_worker

    begin_worker(Settings())
    settle_garbage_collector()
    return app


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from token_emulator.serving import configure_logging, settle_garbage_collector, uvicorn_options
    from token_emulator.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.reference_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    settings = Settings(port=args.port, workers=args.workers)
    configure_logging(settings)
    if args.workers == 1:
        settle_garbage_collector()  # as `serve` does: the comparison stays like for like
        uvicorn.run(app, **uvicorn_options(settings))
    else:
        from token_emulator.workers import run_workers  # exactly as `serve --workers` runs them

        # By name: each worker is a fresh interpreter, where this module is not __main__.
        run_workers("bench.reference_app:worker_app", args.workers, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
