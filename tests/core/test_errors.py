"""Error renderers: a ClockedRenderer gets the request's instant, a plain one is used as is."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse, PlainTextResponse, Response

from emulator.core.errors import ClockedRenderer, renderer_at


def plain(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status)


def stamped(status: int, message: str, now: float) -> Response:
    return JSONResponse({"message": message, "now": now}, status_code=status)


def test_a_plain_renderer_is_used_as_is() -> None:
    assert renderer_at(plain, 12.5) is plain


def test_a_clocked_renderer_gets_the_instant() -> None:
    response = renderer_at(ClockedRenderer(stamped), 12.5)(404, "Not Found")
    assert response.status_code == 404
    assert json.loads(bytes(response.body)) == {"message": "Not Found", "now": 12.5}


def test_without_an_instant_the_clocked_renderer_gets_the_epoch_not_the_system_clock() -> None:
    response = renderer_at(ClockedRenderer(stamped), None)(500, "x")
    assert json.loads(bytes(response.body))["now"] == 0.0
