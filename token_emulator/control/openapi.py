"""The OpenAPI 3.1 document of `GET /_emulator/openapi.json`, assembled from data.

The control plane's operations are described here; each vendor describes its
own in its package's openapi.py (`Vendor.openapi`). `build_document` joins
them under the prefixes the app mounts them at, and refuses a document in
which two operations share a path and method or an operationId.

Operations marked "contract" below are described from the control-plane
contract (faults, routes, runtime fixtures, login) ahead of their code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from token_emulator import __version__
from token_emulator.core.openapi import (
    CONTROL_ERROR,
    INSTANT,
    ApiDescription,
    Operation,
    Prefix,
    Schema,
    content,
    control_error,
    json_body,
    obj,
    parameter,
    ref,
    response,
)
from token_emulator.core.vendor import Vendor

CONTROL_PREFIX = "/_emulator"
CONTROL_TAG = "control"
# Where no admin token is configured everything is open: hence the empty alternative.
ADMIN_SECURITY: tuple[dict[str, list[str]], ...] = (
    {},
    {"adminToken": []},
    {"adminCookie": []},
)
ADMIN_REQUIRED = ref("ControlAdminRequired", "responses")

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


def _by_vendor(field: str, item: Schema) -> Schema:
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
            obj({"advance": {"type": "number"}}, ["advance"], description="seconds, may be < 0"),
            obj({"set": {"type": "string"}}, ["set"], description="an ISO-8601 instant (UTC)"),
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
        ["status", "version", "vendors", "fixtures", "database"],
    ),
    "ControlJournalEntry": obj(
        {
            "time": INSTANT,
            "vendor": NULLABLE_STRING,
            "route": {**NULLABLE_STRING, "description": "the route name, e.g. uneeq:token"},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "status": {"type": "integer"},
            "reason": {**NULLABLE_STRING, "description": "why it was refused"},
            "forced": {"type": "boolean", "description": "answered by an injected fault"},
        },
        ["time", "vendor", "route", "method", "path", "status", "reason"],
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
    "ControlRoutes": _by_vendor(
        "routes",
        obj(
            {
                "name": {"type": "string"},
                "short": {"type": "string"},
                "methods": {"type": "array", "items": {"type": "string"}},
                "path": {"type": "string"},
            },
            ["name", "short", "methods", "path"],
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


def _guarded(operation: Operation) -> Operation:
    """Behind the admin token when one is configured."""
    return replace(
        operation,
        security=ADMIN_SECURITY,
        responses={**operation.responses, "401": ADMIN_REQUIRED},
    )


def _ok(description: str, schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: response(description, schema)}


CLOCK = response("the clock", ref("ControlClock"))
FAULT = obj({"fault": ref("ControlFault")}, ["fault"])
FAULTS = obj({"faults": {"type": "array", "items": ref("ControlFault")}}, ["faults"])
EMPTY = {"type": "array", "maxItems": 0}

PUBLIC_OPERATIONS = (
    Operation(
        route="control:health",
        method="GET",
        path="/health",
        summary="200 once fixtures are seeded and the store answers (never needs the admin token)",
        responses={
            "200": response("ready", ref("ControlHealth")),
            "503": response(
                "the store does not answer",
                obj(
                    {"status": {"const": "unavailable"}, "error": {"type": "string"}},
                    ["status", "error"],
                ),
            ),
        },
    ),
    Operation(
        route="control:dashboard",
        method="GET",
        path="/",
        summary="The dashboard page; it holds no data, so it needs no admin token",
        responses={"200": response("the page", {"type": "string"}, media_type="text/html")},
    ),
    Operation(
        route="control:assets",
        method="GET",
        path="/assets/{path}",
        summary="The dashboard's script, style sheet and icon",
        parameters=(parameter("path", "path", {"type": "string"}),),
        responses={
            "200": {"description": "the file (text/css, text/javascript, image/svg+xml)"},
            "404": response("no such file", {"type": "string"}, media_type="text/plain"),
        },
    ),
    Operation(
        route="control:login",
        method="POST",
        path="/login",
        summary="Trade the admin token for the emulator_admin cookie (for the dashboard)",
        request_body={
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": obj({"token": {"type": "string"}}, ["token"])
                },
                **content(obj({"token": {"type": "string"}}, ["token"])),
            },
        },
        responses={
            "303": {
                "description": "the cookie is set (HttpOnly, SameSite=Strict, Path=/_emulator)",
                "headers": {
                    "Location": {
                        "description": "the dashboard, /_emulator/",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    "Set-Cookie": {"required": True, "schema": {"type": "string"}},
                },
            },
            "401": response(
                "a small page: wrong token", {"type": "string"}, media_type="text/html"
            ),
        },
    ),
)

GUARDED_OPERATIONS = (
    Operation(
        route="control:reset",
        method="POST",
        path="/reset",
        summary="Back to the fixtures: state re-seeded, real clock, no faults, empty journal",
        responses=_ok(
            "reset",
            obj({"status": {"const": "reset"}, "clock": ref("ControlClock")}, ["status", "clock"]),
        ),
    ),
    Operation(
        route="control:clock",
        method="GET",
        path="/clock",
        summary="Read the emulator clock",
        responses={"200": CLOCK},
    ),
    Operation(
        route="control:clock",
        method="POST",
        path="/clock",
        summary="Advance, set, freeze the clock, or put it back to real time",
        request_body=json_body(ref("ControlClockChange")),
        responses={"200": CLOCK, "400": BAD_REQUEST},
    ),
    Operation(
        route="control:requests",
        method="GET",
        path="/requests",
        summary="The journal of vendor requests, newest first, each with why it was refused",
        parameters=(
            parameter("query", "vendor", {"type": "string"}),
            parameter("query", "route", {"type": "string"}, "`token` or `uneeq:token`"),
            parameter(
                "query",
                "status",
                {"type": "string", "pattern": "^[1-5]([0-9]{2}|[xX]{2})$"},
                "a status (`401`) or a class (`4xx`)",
            ),
            parameter("query", "limit", {"type": "integer", "minimum": 1}),
        ),
        responses={
            **_ok(
                "the entries",
                obj(
                    {"requests": {"type": "array", "items": ref("ControlJournalEntry")}},
                    ["requests"],
                ),
            ),
            "400": BAD_REQUEST,
        },
    ),
    Operation(
        route="control:requests",
        method="DELETE",
        path="/requests",
        summary="Empty the journal",
        responses=_ok("emptied", obj({"requests": EMPTY}, ["requests"])),
    ),
    Operation(
        route="control:state",
        method="GET",
        path="/state/{vendor}",
        summary="What a vendor holds now (secrets masked), with each token's status",
        parameters=(parameter("path", "vendor", {"type": "string"}, "a vendor id"),),
        responses={
            **_ok(
                "the vendor's state; the rest of the fields are the vendor's own",
                obj(
                    {"vendor": {"type": "string"}, "now": INSTANT},
                    ["vendor", "now"],
                    additional=True,
                ),
            ),
            "404": ref("ControlUnknownVendor", "responses"),
        },
    ),
    Operation(
        route="control:openapi",
        method="GET",
        path="/openapi.json",
        summary="This document",
        responses=_ok("the OpenAPI 3.1 document", {"type": "object"}),
    ),
    # contract: faults, routes and runtime fixtures
    Operation(
        route="control:faults",
        method="POST",
        path="/faults",
        summary="Force the next matching requests to a status, a delay or a dropped connection",
        description="A forced status answers in the vendor's own error shape.",
        request_body=json_body(ref("ControlFaultRequest")),
        responses={
            **_ok("the fault", FAULT, "201"),
            "400": control_error("bad input; an unknown vendor or route lists the valid names"),
        },
    ),
    Operation(
        route="control:faults",
        method="GET",
        path="/faults",
        summary="The active faults (times_left > 0)",
        responses=_ok("the faults", FAULTS),
    ),
    Operation(
        route="control:faults",
        method="DELETE",
        path="/faults",
        summary="Remove every fault",
        responses=_ok("none left", obj({"faults": EMPTY}, ["faults"])),
    ),
    Operation(
        route="control:fault",
        method="DELETE",
        path="/faults/{id}",
        summary="Remove one fault",
        parameters=(parameter("path", "id", {"type": "integer"}),),
        responses={**_ok("the removed fault", FAULT), "404": control_error("no such fault")},
    ),
    Operation(
        route="control:credentials",
        method="GET",
        path="/credentials",
        summary="Each vendor's test-only credentials from its fixture file, unmasked",
        responses=_ok(
            "the credentials by vendor",
            _by_vendor(
                "credentials",
                obj(
                    {
                        "label": {"type": "string"},
                        "value": {"type": "string"},
                        "note": {"type": "string"},
                    },
                    ["label", "value"],
                ),
            ),
        ),
    ),
    Operation(
        route="control:routes",
        method="GET",
        path="/routes",
        summary="Every vendor route by name: the valid fault targets",
        responses=_ok("the vendors and their routes", ref("ControlRoutes")),
    ),
    Operation(
        route="control:fixtures",
        method="POST",
        path="/fixtures",
        summary="Add fixtures at run time (same schema as the vendor's file), until the next reset",
        request_body=json_body(
            obj(
                {
                    "vendor": {"type": "string"},
                    "fixtures": {
                        "type": "object",
                        "description": "the vendor's fixture file as JSON",
                    },
                },
                ["vendor", "fixtures"],
            )
        ),
        responses={
            **_ok(
                "what was added, by kind",
                obj(
                    {
                        "vendor": {"type": "string"},
                        "added": {"type": "object", "additionalProperties": COUNT},
                    },
                    ["vendor", "added"],
                ),
                "201",
            ),
            "400": response(
                "bad input, or fixtures that do not validate",
                {"oneOf": [ref("ControlFixturesRejected"), ref(CONTROL_ERROR)]},
            ),
            "404": ref("ControlUnknownVendor", "responses"),
        },
    ),
)

CONTROL_OPERATIONS = PUBLIC_OPERATIONS + tuple(_guarded(op) for op in GUARDED_OPERATIONS)

INFO_DESCRIPTION = """\
Every route of the token emulator: the five vendors under their prefixes, and the control
plane under /_emulator/.

- A refusal answers in the vendor's own shape (documented per operation); the precise
  reason is in the `x-emulator-reason` response header and in the journal
  (`GET /_emulator/requests`).
- `operationId` is the route name (also in `x-route-name`), suffixed with the method where
  one route takes several, and with a variant where one route answers on several paths
  (UneeQ's regional prefixes and trailing slash, 8x8's `//api/v1/tokens`).
- Unknown paths answer 404 and unlisted methods 405, in the shape of the vendor asked.
- An injected fault (`POST /_emulator/faults`) answers whatever status it was given, in the
  vendor's error shape; those answers are outside this document.
"""


def _operation_ids(operations: Iterable[Operation]) -> dict[str, bool]:
    """Route name -> whether it takes several methods (its operationIds then name them)."""
    methods: dict[str, set[str]] = defaultdict(set)
    for operation in operations:
        methods[operation.route].add(operation.method)
    return {route: len(found) > 1 for route, found in methods.items()}


class _Document:
    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}
        self.operation_ids: set[str] = set()
        self.components: dict[str, dict[str, Any]] = {
            "schemas": {},
            "responses": {},
            "securitySchemes": {},
        }

    def add_components(self, kind: str, found: Mapping[str, Any]) -> None:
        for name, value in found.items():
            if name in self.components[kind]:
                raise ValueError(f"two descriptions define components/{kind}/{name}")
            self.components[kind][name] = value

    def add(self, prefix: Prefix, operations: Sequence[Operation], tag: str) -> None:
        several_methods = _operation_ids(operations)
        for operation in operations:
            path = prefix.path + operation.path
            method = operation.method.lower()
            operation_id = operation.route
            if several_methods[operation.route]:
                operation_id += f":{method}"
            for variant in (prefix.variant, operation.variant):
                if variant:
                    operation_id += f":{variant}"
            if operation_id in self.operation_ids:
                raise ValueError(f"two operations have the operationId {operation_id}")
            self.operation_ids.add(operation_id)
            item = self.paths.setdefault(path, {})
            if method in item:
                raise ValueError(f"{operation.method} {path} is described twice")
            item[method] = self._operation(prefix, operation, operation_id, tag)

    @staticmethod
    def _operation(
        prefix: Prefix, operation: Operation, operation_id: str, tag: str
    ) -> dict[str, Any]:
        found: dict[str, Any] = {
            "operationId": operation_id,
            "x-route-name": operation.route,
            "tags": [tag],
            "summary": operation.summary,
        }
        if operation.description:
            found["description"] = operation.description
        parameters = [*prefix.parameters, *operation.parameters]
        if parameters:
            found["parameters"] = parameters
        if operation.request_body is not None:
            found["requestBody"] = operation.request_body
        responses = {**prefix.responses, **operation.responses}
        found["responses"] = dict(sorted(responses.items()))
        if operation.security is not None:
            found["security"] = [dict(requirement) for requirement in operation.security]
        return found


def _vendor_api(vendor: Vendor) -> ApiDescription:
    if vendor.openapi is None:
        raise ValueError(f"vendor {vendor.id} describes no operations (Vendor.openapi)")
    return vendor.openapi()


def build_document(vendors: Sequence[Vendor]) -> dict[str, Any]:
    """The whole document for an app serving `vendors`."""
    document = _Document()
    document.add_components("schemas", SCHEMAS)
    document.add_components("responses", RESPONSES)
    document.add_components("securitySchemes", SECURITY_SCHEMES)
    document.add(Prefix(CONTROL_PREFIX), CONTROL_OPERATIONS, CONTROL_TAG)
    tags = [{"name": CONTROL_TAG, "description": "the emulator's control plane"}]
    for vendor in vendors:
        api = _vendor_api(vendor)
        document.add_components("schemas", api.schemas)
        document.add_components("responses", api.responses)
        document.add_components("securitySchemes", api.security_schemes)
        for prefix in api.prefixes:
            document.add(prefix, api.operations, vendor.id)
        if api.control_operations:
            guarded = [_guarded(operation) for operation in api.control_operations]
            document.add(Prefix(f"{CONTROL_PREFIX}/{vendor.id}"), guarded, CONTROL_TAG)
        tags.append({"name": vendor.id, "description": api.description or vendor.title})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "token-emulator",
            "version": __version__,
            "description": INFO_DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": document.paths,
        "components": document.components,
    }
