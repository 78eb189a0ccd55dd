"""The README's Python example of the client helpers runs against a real server."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.test_readme import DEFAULT_URL, README
from token_emulator.testing import EmulatorProcess

SECTION = "## Client helpers and QA commands"


def python_blocks() -> list[str]:
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_helpers_example_runs(server: EmulatorProcess, live: httpx.Client) -> None:
    (block,) = python_blocks()
    namespace: dict[str, Any] = {}
    exec(compile(block.replace(DEFAULT_URL, server.url), "README.md", "exec"), namespace)
    assert namespace["rooms"].status_code == 200
    assert set(namespace["session"]) == {"session_token", "expires_at", "expires_in"}

    async def run_async_example() -> None:
        async with httpx.AsyncClient(base_url=server.url) as client:
            await namespace["test_async"](client)

    asyncio.run(run_async_example())
    refused = live.get("/_emulator/requests", params={"status": "4xx"}).json()
    assert refused == {"requests": []}
