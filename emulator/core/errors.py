"""EmulatorError, the one exception type behind every refusal, and its handlers.

A vendor subclasses EmulatorError once and renders its own wire shape; the
handler writes the precise reason where the journal and the log find it, and
into the `x-emulator-reason` header, so a tester sees it without the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

REASON_HEADER = "x-emulator-reason"
REASON_KEY = "emulator.reason"
# The emulator-clock instant of the request, read once by the journal middleware.
NOW_KEY = "emulator.now"

ErrorRenderer = Callable[[int, str], Response]


@dataclass(frozen=True)
class ClockedRenderer:
    """An error shape that carries the time of the refusal (8x8's `timestamp`).

    `render(status, message, now)` is handed the emulator-clock instant of the
    request being refused, so it reads neither a clock nor a global; `at(now)`
    turns it into an ordinary ErrorRenderer.
    """

    render: Callable[[int, str, float], Response]

    def at(self, now: float) -> ErrorRenderer:
        return lambda status, message: self.render(status, message, now)


VendorErrorRenderer = ErrorRenderer | ClockedRenderer


def renderer_at(renderer: VendorErrorRenderer, now: float | None) -> ErrorRenderer:
    """The renderer to use for a request at `now` (the request scope's NOW_KEY)."""
    if isinstance(renderer, ClockedRenderer):
        # Every vendor request carries the journal's reading; 0 is only a
        # guard for a caller outside one, never a reading of the system clock.
        return renderer.at(0.0 if now is None else now)
    return renderer


def request_now(request: Request) -> float | None:
    now: float | None = request.scope.get(NOW_KEY)
    return now


class EmulatorError(Exception):
    """A refusal: `status` and `message` go on the wire, `reason` to the journal."""

    status: int = 400

    def __init__(self, reason: str, *, status: int | None = None, message: str | None = None):
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status
        self.message = message if message is not None else reason

    def render(self) -> Response:
        raise NotImplementedError

    def render_at(self, now: float | None) -> Response:
        """The answer to a request at `now`; shapes that carry no time ignore it."""
        return self.render()


class ControlError(EmulatorError):
    """Refusals of the control plane: JSON `{"error": ...}`."""

    def render(self) -> Response:
        return render_control_error(self.status, self.message)


def render_control_error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def one_line(text: str, limit: int = 500) -> str:
    """Printable ASCII on one line: reasons and paths quote hostile input, and
    they go into headers and log lines, where a newline would forge another."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."


def mark_refusal(request: Request, response: Response, reason: str) -> Response:
    request.scope[REASON_KEY] = reason
    response.headers[REASON_HEADER] = one_line(reason)
    return response


async def handle_emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return mark_refusal(request, exc.render_at(request_now(request)), exc.reason)


def http_exception_handler(
    renderer_for: Callable[[Request], VendorErrorRenderer],
) -> Callable[[Request, Exception], Response]:
    """Starlette's own 404/405 answers, but in the shape of the vendor asked."""

    def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            reason = f"no route for {request.method} {request.url.path}"
        elif exc.status_code == 405:
            reason = f"method {request.method} not allowed on {request.url.path}"
        else:
            reason = exc.detail
        response = renderer_at(renderer_for(request), request_now(request))(
            exc.status_code, exc.detail
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return mark_refusal(request, response, reason)

    return handle
