"""A status forced by an injected fault, and a body over the limit, come in this vendor's own
error shape."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from tests.conftest import in_process, make_settings
from tests.vendor_targets import forced_answer
from tests.vendors.eightbyeight.conftest import BODY_ROUTE
from token_emulator.vendors.eightbyeight.server import VENDOR

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("status", "phrase"), [(500, "Internal Server Error"), (503, "Service Unavailable")]
)
async def test_a_forced_status_in_the_vendors_shape(
    tmp_path: Path, status: int, phrase: str
) -> None:
    async for client in in_process(make_settings(tmp_path)):
        response = await forced_answer(client, VENDOR, status)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "errorId", "timestamp"}
    assert body["code"] == 1500 and body["message"] == phrase
    uuid.UUID(body["errorId"])
    assert body["timestamp"] == "2030-03-17T17:46:40.00Z"  # the emulator clock's


async def test_a_body_over_the_limit_is_refused_in_the_vendors_shape(tmp_path: Path) -> None:
    path, headers = BODY_ROUTE
    async for client in in_process(make_settings(tmp_path, max_body_bytes=100)):
        response = await client.post(path, content=b" " * 200, headers=headers)
    assert response.status_code == 413
    answer = response.json()
    assert sorted(answer) == ["code", "errorId", "message", "timestamp"]
    # Its platform-wide shape, 1099 for a 4xx 8x8 has no code of its own for.
    assert (answer["code"], answer["message"]) == (1099, "Content Too Large")
    uuid.UUID(answer["errorId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ", answer["timestamp"])
