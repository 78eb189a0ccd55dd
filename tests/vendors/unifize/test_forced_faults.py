"""A status forced by an injected fault, and a body over the limit, come in this vendor's own
error shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import in_process, make_settings
from tests.vendor_targets import forced_answer
from tests.vendors.unifize.conftest import BODY_ROUTE
from token_emulator.vendors.unifize.server import VENDOR

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
    code = {500: "internal_error", 503: f"http_{status}"}[status]
    assert response.json() == {"status": status, "error": code, "message": phrase}


async def test_a_body_over_the_limit_is_refused_in_the_vendors_shape(tmp_path: Path) -> None:
    path, headers = BODY_ROUTE
    async for client in in_process(make_settings(tmp_path, max_body_bytes=100)):
        response = await client.post(path, content=b" " * 200, headers=headers)
    assert response.status_code == 413
    assert response.json() == {"status": 413, "error": "http_413", "message": "Content Too Large"}
