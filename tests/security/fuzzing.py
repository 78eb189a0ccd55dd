"""How a schemathesis case is sent and judged, for every fuzzing test (the whole OpenAPI
document in test_fuzz_openapi.py, each vendor's operations in tests/vendors/test_contract.py).

Every answer must be no 5xx, a documented status with a documented content type
and headers, and a body that fits the documented schema for that status.
"""

from __future__ import annotations

from typing import Any

from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def send_and_validate(case: Any) -> None:
    raw = {}
    if case.media_type == "application/jwt" and isinstance(case.body, str):
        # UneeQ takes the request JWT bare; schemathesis counts application/jwt as JSON
        # and would send the string in quotes.
        raw["data"] = case.body.encode("utf-8", "surrogatepass")
    case.call_and_validate(checks=CHECKS, **raw)
