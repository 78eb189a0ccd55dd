"""The control plane's calls, declared once: control/routes.py gives each its handler,
the OpenAPI document describes it, and token_emulator.client takes its method and path.

Light on purpose (plain data): the command line and the client import it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from token_emulator.control.schemas import (
    ADMIN_SECURITY,
    BAD_REQUEST,
    CLOCK_ANSWER,
    COUNT,
    EMPTY_LIST,
    FAULT_LIST,
    ONE_FAULT,
    by_vendor,
)
from token_emulator.core.openapi import (
    CONTROL_ERROR,
    INSTANT,
    Operation,
    content,
    control_error,
    json_body,
    obj,
    parameter,
    ref,
    response,
)

PREFIX = "/_emulator"
ADMIN_REQUIRED = ref("ControlAdminRequired", "responses")


def guarded(operation: Operation) -> Operation:
    """Behind the admin token when one is configured."""
    return replace(
        operation,
        security=ADMIN_SECURITY,
        responses={**operation.responses, "401": ADMIN_REQUIRED},
    )


def _ok(description: str, schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: response(description, schema)}


# Open even under an admin token.
HEALTH = Operation(
    route="control:health",
    method="GET",
    path="/health",
    summary="200 once fixtures are seeded and the store answers (never needs the admin "
    "token; with one set, the details are its holder's)",
    responses={
        "200": response("ready", ref("ControlHealth")),
        "503": response(
            "the store does not answer",
            obj(
                {
                    "status": {"const": "unavailable"},
                    "version": {"type": "string"},
                    "error": {"type": "string"},
                },
                ["status", "version"],
            ),
        ),
    },
)
CA_CERTIFICATE = Operation(
    route="control:ca",
    method="GET",
    path="/ca.pem",
    summary="The certificate of the local authority that signed this HTTPS server's "
    "certificate (serve --tls), for clients to trust; never needs the admin token. 404 "
    "over plain HTTP, or with a certificate of your own (--tls-cert)",
    responses={
        "200": response(
            "the authority's certificate, PEM",
            {"type": "string"},
            media_type="application/x-pem-file",
        ),
        "404": control_error("no local authority: plain HTTP, or --tls-cert"),
    },
)
DASHBOARD = Operation(
    route="control:dashboard",
    method="GET",
    path="/",
    summary="The dashboard page, with the state it shows; open, but behind an admin token "
    "it holds no data for a caller without it (the login form instead)",
    responses={"200": response("the page", {"type": "string"}, media_type="text/html")},
)
ASSETS = Operation(
    route="control:assets",
    method="GET",
    path="/assets/{path}",
    summary="The dashboard's script, style sheet and icon",
    parameters=(parameter("path", "path", {"type": "string"}),),
    responses={
        "200": {"description": "the file (text/css, text/javascript, image/svg+xml)"},
        "404": response("no such file", {"type": "string"}, media_type="text/plain"),
    },
)
LOGIN = Operation(
    route="control:login",
    method="POST",
    path="/login",
    summary="Trade the admin token for a session cookie (for the dashboard): emulator_admin "
    "names a random session that ends after a day (EMULATOR_ADMIN_SESSION_SECONDS) or at "
    "logout, never the token; after 5 failures from one client each try waits, 429",
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
        "400": BAD_REQUEST,
        "401": response("a small page: wrong token", {"type": "string"}, media_type="text/html"),
        "429": response(
            "too many failed logins from this client: Retry-After says when to try again",
            ref(CONTROL_ERROR),
        ),
    },
)
LOGOUT = Operation(
    route="control:logout",
    method="POST",
    path="/logout",
    summary="End the dashboard's session and drop its cookie",
    responses={
        "303": {
            "description": "the session ended; back to the dashboard, /_emulator/",
            "headers": {
                "Location": {
                    "description": "the dashboard, /_emulator/",
                    "required": True,
                    "schema": {"type": "string"},
                },
            },
        },
    },
)

# Behind the admin token, when one is configured.
RESET = guarded(
    Operation(
        route="control:reset",
        method="POST",
        path="/reset",
        summary="Back to the fixtures: state re-seeded, real clock, no faults, empty journal",
        responses=_ok(
            "reset",
            obj({"status": {"const": "reset"}, "clock": ref("ControlClock")}, ["status", "clock"]),
        ),
    )
)
READ_CLOCK = guarded(
    Operation(
        route="control:clock",
        method="GET",
        path="/clock",
        summary="Read the emulator clock",
        responses={"200": CLOCK_ANSWER},
    )
)
MOVE_CLOCK = guarded(
    Operation(
        route="control:clock",
        method="POST",
        path="/clock",
        summary="Advance, set, freeze the clock, or put it back to real time",
        request_body=json_body(ref("ControlClockChange")),
        responses={"200": CLOCK_ANSWER, "400": BAD_REQUEST},
    )
)
# The journal's filters besides vendor, route, status (and body.<path>=<value>: a field
# of the request's JSON body, by dotted path, which OpenAPI cannot name).
JOURNAL_FILTERS = (
    parameter("query", "method", {"type": "string"}),
    parameter("query", "since", INSTANT, "answered at or after, by the emulator clock"),
    parameter("query", "until", INSTANT, "answered at or before, by the emulator clock"),
)
REVEAL = parameter(
    "query",
    "reveal",
    {"type": "boolean"},
    "secrets whole (masked by default: Authorization, "
    "passwords, API and secret keys, client assertions)",
)
REQUESTS = guarded(
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
            *JOURNAL_FILTERS,
            parameter(
                "query", "bodies", {"type": "boolean"}, "each entry with its request and answer"
            ),
            REVEAL,
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
    )
)
COUNT_REQUESTS = guarded(
    Operation(
        route="control:requests-count",
        method="GET",
        path="/requests/count",
        summary="How many journal entries match the filters (those of GET /requests)",
        parameters=(
            parameter("query", "vendor", {"type": "string"}),
            parameter("query", "route", {"type": "string"}),
            parameter("query", "status", {"type": "string"}),
            *JOURNAL_FILTERS,
        ),
        responses={**_ok("the count", obj({"count": COUNT}, ["count"])), "400": BAD_REQUEST},
    )
)
REQUEST_ENTRY = guarded(
    Operation(
        route="control:request",
        method="GET",
        path="/requests/{id}",
        summary="One journal entry whole: its request's headers and body, its answer's",
        parameters=(parameter("path", "id", {"type": "integer"}), REVEAL),
        responses={
            **_ok("the entry", ref("ControlJournalEntry")),
            "404": control_error("no such entry (never, or no longer, in the journal)"),
        },
    )
)
HAR = guarded(
    Operation(
        route="control:requests-har",
        method="GET",
        path="/requests.har",
        summary="The journal as HAR 1.2, oldest first: for browser developer tools and "
        "HTTP debuggers",
        parameters=(REVEAL,),
        responses=_ok("a HAR 1.2 document", {"type": "object"}),
    )
)
CLEAR_REQUESTS = guarded(
    Operation(
        route="control:requests",
        method="DELETE",
        path="/requests",
        summary="Empty the journal",
        responses=_ok("emptied", obj({"requests": EMPTY_LIST}, ["requests"])),
    )
)
STATE = guarded(
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
    )
)
OPENAPI = guarded(
    Operation(
        route="control:openapi",
        method="GET",
        path="/openapi.json",
        summary="This document",
        responses=_ok("the OpenAPI 3.1 document", {"type": "object"}),
    )
)
ADD_FAULT = guarded(
    Operation(
        route="control:faults",
        method="POST",
        path="/faults",
        summary="Force the next matching requests to a status, a delay or a dropped connection",
        description="A forced status answers in the vendor's own error shape.",
        request_body=json_body(ref("ControlFaultRequest")),
        responses={
            **_ok("the fault", ONE_FAULT, "201"),
            "400": control_error("bad input; an unknown vendor or route lists the valid names"),
        },
    )
)
FAULTS = guarded(
    Operation(
        route="control:faults",
        method="GET",
        path="/faults",
        summary="The active faults (times_left > 0)",
        responses=_ok("the faults", FAULT_LIST),
    )
)
CLEAR_FAULTS = guarded(
    Operation(
        route="control:faults",
        method="DELETE",
        path="/faults",
        summary="Remove every fault",
        responses=_ok("none left", obj({"faults": EMPTY_LIST}, ["faults"])),
    )
)
CLEAR_FAULT = guarded(
    Operation(
        route="control:fault",
        method="DELETE",
        path="/faults/{id}",
        summary="Remove one fault",
        parameters=(parameter("path", "id", {"type": "integer"}),),
        responses={**_ok("the removed fault", ONE_FAULT), "404": control_error("no such fault")},
    )
)
CREDENTIALS = guarded(
    Operation(
        route="control:credentials",
        method="GET",
        path="/credentials",
        summary="Each vendor's test-only credentials from its fixture file, unmasked",
        responses=_ok(
            "the credentials by vendor",
            by_vendor(
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
    )
)
ROUTES = guarded(
    Operation(
        route="control:routes",
        method="GET",
        path="/routes",
        summary="Every vendor route by name: the valid fault targets",
        responses=_ok("the vendors and their routes", ref("ControlRoutes")),
    )
)
ADD_FIXTURES = guarded(
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
    )
)
WORLD_ANSWER = obj(
    {
        "name": {"type": "string"},
        "urls": {
            "type": "object",
            "description": "each vendor's base URL in the world",
            "additionalProperties": {"type": "string"},
        },
        "control": {"type": "string", "description": "the world's control plane"},
    },
    ["name", "urls", "control"],
)
WORLD_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
WORLDS = guarded(
    Operation(
        route="control:worlds",
        method="GET",
        path="/worlds",
        summary="Every world on the database: name, created, last request",
        responses=_ok("the worlds", obj({"worlds": {"type": "array"}}, ["worlds"])),
    )
)
CREATE_WORLD = guarded(
    Operation(
        route="control:worlds",
        method="POST",
        path="/worlds",
        summary="Create a world: seeded from the fixtures (with more of its own), a copy of "
        "another, or an export imported",
        request_body=json_body(
            obj(
                {
                    "name": WORLD_NAME,
                    "fixtures": {
                        "type": "object",
                        "description": "per vendor id, a document of its fixture file's "
                        "schema, added to the server's for this world (kept across resets)",
                    },
                    "copy_of": {"type": "string", "description": "a world to copy"},
                    "import": {"type": "object", "description": "an export document"},
                },
                [],
            )
        ),
        responses={
            **_ok("the world made", WORLD_ANSWER, "201"),
            "404": control_error("no world to copy"),
            "409": control_error("a world of that name exists"),
        },
    )
)
DELETE_WORLD = guarded(
    Operation(
        route="control:world",
        method="DELETE",
        path="/worlds/{name}",
        summary="Delete a world and every row of it",
        parameters=(parameter("path", "name", WORLD_NAME),),
        responses={
            **_ok("deleted", obj({"deleted": {"type": "string"}}, ["deleted"])),
            "404": control_error("no such world"),
        },
    )
)
EXPORT = guarded(
    Operation(
        route="control:export",
        method="GET",
        path="/export",
        summary="The world's whole state as one JSON document (format token-emulator/world, "
        "version 1), for POST /_emulator/worlds {import}",
        responses=_ok("the export document", {"type": "object"}),
    )
)

CALLS = (
    HEALTH,
    CA_CERTIFICATE,
    DASHBOARD,
    ASSETS,
    LOGIN,
    LOGOUT,
    RESET,
    READ_CLOCK,
    MOVE_CLOCK,
    REQUESTS,
    CLEAR_REQUESTS,
    COUNT_REQUESTS,
    REQUEST_ENTRY,
    HAR,
    STATE,
    OPENAPI,
    ADD_FAULT,
    FAULTS,
    CLEAR_FAULTS,
    CLEAR_FAULT,
    CREDENTIALS,
    ROUTES,
    ADD_FIXTURES,
    WORLDS,
    CREATE_WORLD,
    DELETE_WORLD,
    EXPORT,
)
