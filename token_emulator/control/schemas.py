"""The shapes of the control plane's bodies, for the OpenAPI document (control/api.py)."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    CONTROL_ERROR,
    INSTANT,
    Schema,
    control_error,
    obj,
    ref,
    response,
)

# Where no admin token is configured everything is open: hence the empty alternative.
ADMIN_SECURITY: tuple[dict[str, list[str]], ...] = (
    {},
    {"adminToken": []},
    {"adminCookie": []},
)

SECURITY_SCHEMES = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "EMULATOR_ADMIN_TOKEN (--admin-token), when the emulator has one",
    },
    "adminCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "emulator_admin",
        "description": "the cookie POST /_emulator/login sets",
    },
}

COUNT = {"type": "integer", "minimum": 0}
NULLABLE_STRING = {"type": ["string", "null"]}


def by_vendor(field: str, item: Schema) -> Schema:
    """`{"vendors": [{"id", "title", "prefix", <field>: [item, ...]}]}`, as /routes and
    /credentials answer."""
    vendor = obj(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "prefix": {"type": "string"},
            field: {"type": "array", "items": item},
        },
        ["id", "title", "prefix", field],
    )
    return obj({"vendors": {"type": "array", "items": vendor}}, ["vendors"])


SCHEMAS: dict[str, Any] = {
    CONTROL_ERROR: obj({"error": {"type": "string"}}, ["error"]),
    "ControlClock": obj(
        {"now": INSTANT, "frozen": {"type": "boolean"}, "offset_seconds": {"type": "number"}},
        ["now", "frozen", "offset_seconds"],
    ),
    "ControlClockChange": {
        "description": "exactly one action",
        "oneOf": [
            obj(
                {"advance": {"type": ["number", "string"]}},
                ["advance"],
                description="seconds, or a duration (90s, 15m, 2h, 1d, 1h30m); may be < 0",
            ),
            obj(
                {"set": {"type": "string"}},
                ["set"],
                description="an ISO-8601 instant (UTC without an offset); a running clock "
                "keeps running from there, a frozen one stays frozen there",
            ),
            obj(
                {"set": {"type": "string"}, "freeze": {"const": True}},
                ["set", "freeze"],
                description="set and freeze in one step: frozen at exactly that instant",
            ),
            obj({"freeze": {"const": True}}, ["freeze"]),
            obj({"real": {"const": True}}, ["real"], description="back to the real clock"),
        ],
    },
    "ControlHealth": obj(
        {
            "status": {"const": "ready"},
            "version": {"type": "string"},
            "vendors": {"type": "array", "items": {"type": "string"}},
            "fixtures": obj(
                {
                    "directory": {"type": "string"},
                    "files": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                ["directory", "files"],
            ),
            "database": {"type": "string", "description": "the database URL without credentials"},
        },
        ["status", "version"],
        description="vendors, fixtures and database only without an admin token, or to its holder",
    ),
    "ControlJournalEntry": obj(
        {
            "id": {
                "type": "integer",
                "description": "order of arrival in the serving process (newest: highest)",
            },
            "time": {**INSTANT, "description": "when it arrived, by the emulator clock"},
            "real_time": {
                "type": "string",
                "format": "date-time",
                "description": "when it arrived, by the machine's clock (ISO-8601 UTC)",
            },
            "vendor": NULLABLE_STRING,
            "route": {**NULLABLE_STRING, "description": "the route name, e.g. uneeq:token"},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "status": {"type": "integer"},
            "reason": {**NULLABLE_STRING, "description": "why it was refused"},
            "fault": {
                "type": ["integer", "null"],
                "description": "the id of the injected fault that answered it",
            },
            "forced": {"type": "boolean", "description": "answered by an injected fault"},
            "request": {
                "type": "object",
                "description": "with bodies=true (and GET /requests/{id}): headers, query, "
                "body (masked unless reveal=true), body_size, body_truncated",
            },
            "answer": {
                "type": "object",
                "description": "with bodies=true: status, headers, body, body_size, body_truncated",
            },
            "duration_ms": {"type": "number"},
        },
        ["id", "time", "real_time", "vendor", "route", "method", "path", "status", "reason"],
    ),
    "ControlFault": obj(
        {
            "id": {"type": "integer"},
            "vendor": {"type": "string"},
            "route": NULLABLE_STRING,
            "method": NULLABLE_STRING,
            "status": {"type": ["integer", "null"]},
            "delay_ms": {"type": ["integer", "null"]},
            "drop": {"type": "boolean"},
            "probability": {"type": "number"},
            "times_left": {"type": "integer"},
            "created_at": INSTANT,
        },
        [
            "id",
            "vendor",
            "route",
            "method",
            "status",
            "delay_ms",
            "drop",
            "probability",
            "times_left",
            "created_at",
        ],
    ),
    "ControlFaultRequest": obj(
        {
            "vendor": {"type": "string", "description": "a vendor id: uneeq, 8x8, ..."},
            "route": {
                "type": "string",
                "description": "`token` or `uneeq:token`; absent: every route of the vendor",
            },
            "method": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
            "drop": {"type": "boolean", "description": "close the connection unanswered"},
            "probability": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
            "times": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
        },
        ["vendor"],
        description=(
            "at least one of status, delay_ms, drop; status and drop exclude each other; "
            "delay_ms alone answers normally, late"
        ),
        anyOf=[{"required": ["status"]}, {"required": ["delay_ms"]}, {"required": ["drop"]}],
    ),
    "ControlRoutes": by_vendor(
        "routes",
        obj(
            {
                "name": {"type": "string"},
                "short": {"type": "string"},
                "methods": {"type": "array", "items": {"type": "string"}},
                "path": {"type": "string", "description": "under the vendor's own prefix"},
                "paths": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "every path it is served at (UneeQ's regions too)",
                },
            },
            ["name", "short", "methods", "path", "paths"],
        ),
    ),
    "ControlFixturesRejected": obj(
        {
            "error": {"const": "fixtures rejected"},
            "problems": {
                "type": "array",
                "items": {"type": "string"},
                "description": "each names the entry and the field",
            },
        },
        ["error", "problems"],
    ),
}

RESPONSES = {
    "ControlAdminRequired": response(
        "an admin token is configured and the request carries none (or a wrong one)",
        obj({"error": {"const": "admin token required"}}, ["error"]),
        headers={
            "WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "Bearer"}}
        },
    ),
    "ControlBadRequest": control_error("bad input: the message says what is wrong"),
    "ControlUnknownVendor": control_error("no such vendor"),
}
BAD_REQUEST = ref("ControlBadRequest", "responses")

CLOCK_ANSWER = response("the clock", ref("ControlClock"))
ONE_FAULT = obj({"fault": ref("ControlFault")}, ["fault"])
FAULT_LIST = obj({"faults": {"type": "array", "items": ref("ControlFault")}}, ["faults"])
EMPTY_LIST = {"type": "array", "maxItems": 0}
