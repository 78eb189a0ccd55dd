"""One renderer for every 8x8 refusal: the core's 404 and 405 carry the emulator's time too."""

from __future__ import annotations

import httpx
import pytest

from tests.vendors.eightbyeight.conftest import NOW_ERROR_TIMESTAMP, assert_refused

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "message", "reason"),
    [
        (
            "GET",
            "/8x8/api/v1/nothing",
            404,
            1001,
            "Not Found",
            "no route for GET /8x8/api/v1/nothing",
        ),
        (
            "GET",
            "/8x8/api/v1/tokens",
            405,
            1002,
            "Method Not Allowed",
            "method GET not allowed on /8x8/api/v1/tokens",
        ),
        # Outside the mount (Starlette's mount pattern stops at a newline): the app's handler.
        # (The reason quotes request.url.path, from which urlsplit drops the newline.)
        ("GET", "/8x8/%0A", 404, 1001, "Not Found", "no route for GET /8x8/"),
    ],
)
async def test_router_refusals_in_8x8s_shape_at_the_emulator_time(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    code: int,
    message: str,
    reason: str,
) -> None:
    response = await client.request(method, path)
    await assert_refused(client, response, status, code, message, reason, NOW_ERROR_TIMESTAMP)
