"""EmulatorError, the one exception type behind every refusal, and its handlers.

A vendor subclasses EmulatorError once and renders its own wire shape; the
handler writes the precise reason where the journal and the log find it, and
into the `x-emulator-reason` header, so a tester sees it without the journal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.scope_keys import NOW_KEY, REASON_KEY

# (status, message, now) -> the vendor's error answer. `now` is the emulator-clock
# instant of the request, for shapes that carry the time (8x8's `timestamp`).
ErrorRenderer = Callable[[int, str, float], Response]


def request_now(request: Request) -> float:
    """The instant the journal read for this request. Every vendor request has
    one; the 0.0 fallback reaches only renderers that ignore the time."""
    now: float = request.scope.get(NOW_KEY, 0.0)
    return now


class EmulatorError(Exception):
    """A refusal, as data: `status`, `message` and `headers` go on the wire in the shape of
    whoever answers (the vendor's one renderer, or the control plane's), `reason` to the
    journal."""

    def __init__(
        self,
        reason: str,
        *,
        status: int = 400,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.message = message if message is not None else reason
        self.headers = dict(headers or {})


Refusal = Callable[[str], EmulatorError]


def refusal(status: int, message: str) -> Refusal:
    """A vendor's refusal with this status and public message, made from its reason:
    `unauthorized = refusal(401, "Unauthorized")`, then `raise unauthorized("why")`."""

    def refuse(reason: str) -> EmulatorError:
        return EmulatorError(reason, status=status, message=message)

    return refuse


def answer(error: EmulatorError, render: ErrorRenderer, now: float) -> Response:
    """The refusal in the shape `render` gives, with its headers."""
    response = render(error.status, error.message, now)
    response.headers.update(error.headers)
    return response


class ControlError(EmulatorError):
    """Control-plane refusals: JSON `{"error": ...}`, with `problems` when there are several."""

    def __init__(
        self, reason: str, *, status: int = 400, problems: list[str] | None = None
    ) -> None:
        super().__init__(reason, status=status)
        self.problems = problems


def render_control_error(status: int, message: str, _now: float = 0.0) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def one_line(text: str, limit: int = 500) -> str:
    """Printable ASCII on one line: reasons and paths quote hostile input, and
    they go into headers and log lines, where a newline would forge another."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."


# Reasons quote client input; the journal keeps a thousand of them.
MAX_REASON_CHARS = 2000


def clip(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def mark_refusal(request: Request, response: Response, reason: str) -> Response:
    reason = clip(reason)
    request.scope[REASON_KEY] = reason
    response.headers[REASON_HEADER] = one_line(reason)
    return response


async def handle_control_error(request: Request, exc: Exception) -> Response:
    """The control plane's refusals (Starlette's exception handler)."""
    assert isinstance(exc, EmulatorError)
    if isinstance(exc, ControlError) and exc.problems is not None:
        body = {"error": exc.message, "problems": exc.problems}
        response: Response = JSONResponse(body, status_code=exc.status)
    else:
        response = answer(exc, render_control_error, request_now(request))
    return mark_refusal(request, response, exc.reason)


def http_exception_handler(
    renderer_for: Callable[[Request], ErrorRenderer],
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
        response = renderer_for(request)(exc.status_code, exc.detail, request_now(request))
        if exc.headers:
            response.headers.update(exc.headers)
        return mark_refusal(request, response, reason)

    return handle
