"""HTTP calls written once, as steps, and driven by a sync or an async httpx client.

A client-side action (a vendor's token flow, a control-plane call) is a
generator that yields each `Call` it makes and receives its answer:

    def login(email: str, password: str) -> Steps[str]:
        answer = yield Call("log in", "POST", "/web1on1/v2/auth/token", json={...})
        return answer.json()["token"]

`run(client, steps)` drives it: with an `httpx.Client` it returns the result,
with an `httpx.AsyncClient` an awaitable of it; `Flow` makes such a function a
helper that takes the client first. Light on purpose (httpx and the standard
library): the command line and the vendors' client modules import it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar, overload

import httpx

from token_emulator.core.headers import REASON_HEADER

MAX_BODY_SHOWN = 500

log = logging.getLogger("token_emulator.testing.flows")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One HTTP request of a client-side action. The driver checks the answer's status
    against `expect` (FlowError otherwise); empty: any status, the step reads it."""

    step: str  # what the call is for, as a log line or an error names it
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] | None = None
    json: Any = None
    content: str | bytes | None = None
    expect: tuple[int, ...] = (200,)
    logged: bool = True  # a step of a flow, on the flows logger (INFO)

    def send_arguments(self) -> dict[str, Any]:
        # UTF-8 bytes: httpx would refuse a non-ASCII str, and a test may want to send one.
        headers = {name: value.encode() for name, value in self.headers.items()}
        arguments: dict[str, Any] = {"headers": headers}
        if self.params is not None:
            arguments["params"] = dict(self.params)
        if self.json is not None:
            arguments["json"] = self.json
        elif self.content is not None:
            arguments["content"] = self.content
        return arguments


Steps = Generator[Call, httpx.Response, T]


class FlowError(Exception):
    """A step was refused, or answered something the flow cannot use."""

    def __init__(self, call: Call, response: httpx.Response, problem: str = "refused") -> None:
        self.step = call.step
        self.method = call.method
        self.path = call.path
        self.status = response.status_code
        self.body = response.text
        self.reason = response.headers.get(REASON_HEADER)
        self.response = response
        body = self.body if len(self.body) <= MAX_BODY_SHOWN else self.body[:MAX_BODY_SHOWN] + "..."
        super().__init__(
            f"{call.step} {problem}: {call.method} {call.path} answered {self.status}; "
            f"x-emulator-reason: {self.reason or '(none)'}; body: {body!r}"
        )


def _check(call: Call, response: httpx.Response) -> httpx.Response:
    if call.logged:
        log.info("%s: %s %s -> %s", call.step, call.method, call.path, response.status_code)
    if call.expect and response.status_code not in call.expect:
        raise FlowError(call, response)
    return response


def _run_sync(client: httpx.Client, steps: Steps[T]) -> T:
    try:
        call = next(steps)
        while True:
            response = client.request(call.method, call.path, **call.send_arguments())
            call = steps.send(_check(call, response))
    except StopIteration as done:
        result: T = done.value
        return result


async def _run_async(client: httpx.AsyncClient, steps: Steps[T]) -> T:
    try:
        call = next(steps)
        while True:
            response = await client.request(call.method, call.path, **call.send_arguments())
            call = steps.send(_check(call, response))
    except StopIteration as done:
        result: T = done.value
        return result


@overload
def run(client: httpx.AsyncClient, steps: Steps[T]) -> Awaitable[T]: ...
@overload
def run(client: httpx.Client, steps: Steps[T]) -> T: ...
def run(client: httpx.Client | httpx.AsyncClient, steps: Steps[T]) -> T | Awaitable[T]:
    """Drive steps with a sync client (the result) or an async one (an awaitable)."""
    if isinstance(client, httpx.AsyncClient):
        return _run_async(client, steps)
    return _run_sync(client, steps)


class Flow(Generic[P, T]):
    """Steps made callable with a client first: `flow(client, ...)`."""

    def __init__(self, steps: Callable[P, Steps[T]]) -> None:
        self.steps = steps
        functools.update_wrapper(self, steps)

    @overload
    def __call__(
        self, client: httpx.AsyncClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...
    @overload
    def __call__(self, client: httpx.Client, /, *args: P.args, **kwargs: P.kwargs) -> T: ...
    def __call__(
        self, client: httpx.Client | httpx.AsyncClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> T | Awaitable[T]:
        return run(client, self.steps(*args, **kwargs))


def json_answer(call: Call, response: httpx.Response, needed: str) -> dict[str, Any]:
    """The answer's JSON object, which must hold the string `needed`; FlowError otherwise."""
    try:
        answer = response.json()
    except ValueError:
        raise FlowError(call, response, "got no JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get(needed), str):
        raise FlowError(call, response, f"got JSON without a {needed!r} string")
    return answer
