"""The OpenAPI 3.1 document of `GET /_emulator/openapi.json`, assembled from declarations.

The control plane's calls are declared in control/api.py, each vendor's in its
routes.py (`Vendor.openapi`). `build_document` joins them under the prefixes
the app mounts them at, and refuses a document in which two operations share a
path and method or an operationId.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from token_emulator import __version__
from token_emulator.control import api
from token_emulator.control.schemas import RESPONSES, SCHEMAS, SECURITY_SCHEMES
from token_emulator.core.openapi import ApiDescription, Operation, Prefix
from token_emulator.core.vendor import Vendor

CONTROL_TAG = "control"

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
    document.add(Prefix(api.PREFIX), api.CALLS, CONTROL_TAG)
    tags = [{"name": CONTROL_TAG, "description": "the emulator's control plane"}]
    for vendor in vendors:
        described = _vendor_api(vendor)
        document.add_components("schemas", described.schemas)
        document.add_components("responses", described.responses)
        document.add_components("securitySchemes", described.security_schemes)
        for prefix in described.prefixes:
            document.add(prefix, described.operations, vendor.id)
        if described.control_operations:
            guarded = [api.guarded(operation) for operation in described.control_operations]
            document.add(Prefix(f"{api.PREFIX}/{vendor.id}"), guarded, CONTROL_TAG)
        tags.append({"name": vendor.id, "description": described.description or vendor.title})
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
