"""request_path/cors.py: the CORS layer answers exactly as Starlette's CORSMiddleware would.

Requests without an Origin skip the middleware (CorsWhereOrigin); these tests send
the same requests to the app behind our layer and behind the middleware alone, and
compare status, every header in order, and body.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.request_path.cors import CorsWhereOrigin, permissive_cors

pytestmark = pytest.mark.anyio


async def plain(_request: Request) -> Response:
    return JSONResponse({"token": "t"})


async def varies(_request: Request) -> Response:
    return PlainTextResponse("v", headers={"Vary": "Accept-Encoding"})


async def varies_twice(_request: Request) -> Response:
    response = PlainTextResponse("v2", status_code=201)
    response.raw_headers += [(b"vary", b"Accept"), (b"x-other", b"1"), (b"vary", b"Cookie")]
    return response


async def varies_capitalised(_request: Request) -> Response:
    # A name ASGI would not write: the middleware matches `vary` exactly, and so do we.
    response = PlainTextResponse("V")
    response.raw_headers.append((b"Vary", b"Accept"))
    return response


async def streams(_request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"a"
        yield b"b"

    return StreamingResponse(chunks(), media_type="text/plain")


def inner_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/plain", plain, methods=["GET", "POST"]),
            Route("/varies", varies),
            Route("/varies-twice", varies_twice),
            Route("/streams", streams),
            Route("/varies-capitalised", varies_capitalised),
            Mount("/raw", app=bare_start),
        ]
    )


async def bare_start(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app whose start message has no `headers` at all."""
    await send({"type": "http.response.start", "status": 204})
    await send({"type": "http.response.body", "body": b""})


def starlettes_own(app: ASGIApp) -> ASGIApp:
    """The configuration permissive_cors gives the middleware, with nothing in front."""
    made = permissive_cors(app, ["x-auth-token"])
    assert isinstance(made, CorsWhereOrigin)
    cors = made.cors
    assert isinstance(cors, CORSMiddleware)
    return cors


REQUESTS = [
    ("GET", "/plain", {}),
    ("POST", "/plain", {"content-type": "application/json"}),
    ("DELETE", "/plain", {}),  # 405 from the router
    ("GET", "/nowhere", {}),  # 404
    ("GET", "/varies", {}),
    ("GET", "/varies-twice", {}),
    ("GET", "/streams", {}),
    ("GET", "/varies-capitalised", {}),
    ("GET", "/raw", {}),
    ("GET", "/varies-capitalised", {"origin": "https://a.example"}),
    ("GET", "/raw", {"origin": "https://a.example"}),
    ("OPTIONS", "/plain", {"access-control-request-method": "POST"}),  # no Origin: no preflight
    ("GET", "/plain", {"origin": "http://localhost:3000"}),
    ("GET", "/varies-twice", {"origin": "https://app.example"}),
    ("OPTIONS", "/plain", {"origin": "https://a.example", "access-control-request-method": "POST"}),
    (
        "OPTIONS",
        "/plain",
        {
            "origin": "https://a.example",
            "access-control-request-method": "PUT",
            "access-control-request-headers": "authorization, x-custom",
        },
    ),
    ("OPTIONS", "/plain", {"origin": "https://a.example"}),  # not a preflight
]


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def answer(app: ASGIApp, method: str, path: str, headers: dict[str, str]) -> Answer:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
        response = await client.request(method, path, headers=headers)
    return response.status_code, response.headers.raw, response.content


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
async def test_the_same_answer_as_starlettes_cors_middleware(
    method: str, path: str, headers: dict[str, str]
) -> None:
    ours = await answer(permissive_cors(inner_app(), ["x-auth-token"]), method, path, headers)
    theirs = await answer(starlettes_own(inner_app()), method, path, headers)
    assert ours == theirs
    status, raw, _body = ours
    names = [name for name, _ in raw]
    assert names.count(b"vary") <= 1  # joined, never repeated
    if "origin" not in headers:
        [vary] = [value for name, value in raw if name == b"vary"]
        assert vary == b"Origin" or vary.endswith(b", Origin")
        assert b"access-control-allow-origin" not in names
    assert status != 500


async def test_a_request_without_origin_never_reaches_the_middleware() -> None:
    reached: list[str] = []

    class Watching(CORSMiddleware):
        async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
            reached.append(scope["path"])
            await super().__call__(scope, receive, send)

    app = inner_app()
    layer = CorsWhereOrigin(Watching(app, allow_origin_regex=".*"))
    await answer(layer, "GET", "/plain", {})
    assert reached == []
    await answer(layer, "GET", "/plain", {"origin": "https://a.example"})
    assert reached == ["/plain"]


async def test_the_answers_own_headers_are_left_as_they_were() -> None:
    # One response object answering twice: the second answer is the first's.
    shared = PlainTextResponse("same")

    async def endpoint(_request: Request) -> Response:
        return shared

    app = permissive_cors(Starlette(routes=[Route("/same", endpoint)]))
    first = await answer(app, "GET", "/same", {})
    assert await answer(app, "GET", "/same", {}) == first
    assert (b"vary", b"Origin") in first[1]
    assert not any(name == b"vary" for name, _ in shared.raw_headers)
