"""How `serve` runs uvicorn and sets up logging; light to import on purpose.

bench/reference_app.py serves its bare Starlette app with exactly these, and
imports nothing heavier than the settings, so its start-up stays a bare one.
"""

from __future__ import annotations

import logging
from typing import Any

from emulator.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run's keyword arguments, but for the app and the worker count."""
    # log_config=None keeps uvicorn on our logging set-up; its access log is
    # replaced by the journal's line, which carries the refusal reason.
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "log_level": settings.log_level,
        "access_log": False,
        "lifespan": "on",
        # h11 even where httptools is installed (uvicorn[standard] in a test venv): its
        # 16 KiB limit on headers still arriving is the one the README documents.
        "http": "h11",
    }


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
