"""What a vendor tells the OpenAPI document about its routes: plain data, no HTTP.

Each vendor package describes its own operations in `openapi.py` (paths as in
its routes.py, under its prefix); `token_emulator/control/openapi.py` assembles
those descriptions and the control plane's into one OpenAPI 3.1 document.
Schemas are JSON Schema 2020-12 dicts, as OpenAPI 3.1 takes them; the helpers
here only save repeating the same few shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
Schema = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes and every status it answers."""

    route: str  # the Starlette route name, "uneeq:token": x-route-name and the operationId
    method: str  # "GET", "POST", ...
    path: str  # under the prefix, in routes.py's syntax: "/v2/users/{record_id}"
    summary: str
    responses: Mapping[str, Any]  # "200" -> a Response Object or a $ref to one
    description: str = ""
    parameters: tuple[dict[str, Any], ...] = ()
    request_body: dict[str, Any] | None = None
    # Security Requirement Objects; None: no credentials at all.
    security: tuple[dict[str, list[str]], ...] | None = None
    # Tells apart the operations of one route and method on several paths
    # (UneeQ's trailing slash, 8x8's double slash); it suffixes the operationId.
    variant: str | None = None


@dataclass(frozen=True)
class Prefix:
    """A path the vendor is mounted at; `parameters` describe its templated parts."""

    path: str  # "/uneeq" or "/uneeq/{region}"
    parameters: tuple[dict[str, Any], ...] = ()
    variant: str | None = None  # suffixes the operationIds under this prefix
    # Answers every operation under this prefix may give besides its own (a route miss).
    responses: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiDescription:
    """A vendor's part of the document. Component names carry the vendor's own
    prefix (`Uneeq...`, `Web1on1...`) so that five vendors never collide."""

    prefixes: tuple[Prefix, ...]
    operations: tuple[Operation, ...]
    schemas: Mapping[str, Schema] = field(default_factory=dict)
    responses: Mapping[str, Any] = field(default_factory=dict)
    security_schemes: Mapping[str, Any] = field(default_factory=dict)
    # Vendor-specific control calls, mounted at /_emulator/<vendor id>.
    control_operations: tuple[Operation, ...] = ()
    description: str = ""  # the vendor's tag description


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def content(schema: Schema, media_type: str = JSON, **extra: Any) -> dict[str, Any]:
    """A Content map with one media type; `extra` adds `example` and the like."""
    return {media_type: {"schema": schema, **extra}}


def response(
    description: str,
    schema: Schema | None = None,
    *,
    media_type: str = JSON,
    headers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if headers:
        answer["headers"] = dict(headers)
    if schema is not None:
        answer["content"] = content(schema, media_type)
    return answer


def json_body(schema: Schema, *, required: bool = True, description: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"required": required, "content": content(schema)}
    if description:
        body["description"] = description
    return body


def parameter(
    location: str, name: str, schema: Schema, description: str = "", *, required: bool = False
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": name,
        "in": location,
        # Path parameters are always required (OpenAPI 3.1).
        "required": True if location == "path" else required,
        "schema": schema,
    }
    if description:
        found["description"] = description
    return found


def string_enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def obj(
    properties: Mapping[str, Schema],
    required: tuple[str, ...] | list[str] = (),
    *,
    additional: bool | Schema = False,
    **extra: Any,
) -> Schema:
    """An object schema; closed unless `additional` says otherwise."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = additional
    schema.update(extra)
    return schema


INSTANT: Schema = {
    "type": "string",
    "format": "date-time",
    "description": "ISO-8601 in UTC with a Z, by the emulator clock",
}

# The control plane's error body, `{"error": "..."}`; its component is registered by
# token_emulator/control/openapi.py, and vendor-specific control calls refer to it by this name.
CONTROL_ERROR = "ControlError"


def control_error(description: str) -> dict[str, Any]:
    return response(description, ref(CONTROL_ERROR))
