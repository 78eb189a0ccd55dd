"""GET /_emulator/openapi.json: a valid OpenAPI 3.1 document of exactly the mounted routes."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from token_emulator import __version__
from token_emulator.app import create_app
from token_emulator.control.openapi import build_document
from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import ApiDescription, Operation, Prefix
from token_emulator.core.vendor import Vendor
from token_emulator.settings import Settings
from token_emulator.vendors.unifize.server import VENDOR as UNIFIZE

pytestmark = pytest.mark.anyio

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Key = tuple[str, str]  # (path template with unnamed parameters, METHOD)


def _unnamed(path: str) -> str:
    # A template's parameter names are labels: "/faults/{id}" and "/faults/{fault_id}"
    # are one path. Whether the names are right is the validator's job (they must
    # match the operation's parameters), not this comparison's.
    return re.sub(r"\{[^}]*\}", "{}", path)


def _routes_inside(mount: Mount) -> list[BaseRoute]:
    """The routes of a Mount, through the middleware a vendor mount wraps them in
    (exception handling, CORS, UneeQ's region marker)."""
    app: ASGIApp = mount.app
    while not hasattr(app, "routes"):
        app = app.app  # type: ignore[attr-defined]
    routes: list[BaseRoute] = app.routes  # type: ignore[attr-defined]
    return routes


def mounted_operations(routes: Iterable[BaseRoute], prefix: str = "") -> dict[Key, str]:
    """Every (path, method) the app serves, walking Mounts recursively, with the route's name."""
    found: dict[Key, str] = {}
    for route in routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            found[(_unnamed(prefix + route.path + "/{path}"), "GET")] = route.name
        elif isinstance(route, Mount):
            found.update(mounted_operations(_routes_inside(route), prefix + route.path))
        elif isinstance(route, Route):
            methods = set(route.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")  # Starlette's automatic companion of GET
            for method in methods:
                found[(_unnamed(prefix + route.path), method)] = route.name
        else:
            raise AssertionError(f"a route the walk does not know: {route!r}")
    return found


def _concrete_paths(path: str, parameters: list[dict[str, Any]]) -> list[str]:
    """A path parameter with an enum stands for one mounted prefix per value
    (UneeQ's /uneeq/{region} is four Mounts)."""
    enums = [
        (p["name"], p["schema"]["enum"])
        for p in parameters
        if p["in"] == "path" and "enum" in p.get("schema", {})
    ]
    paths = []
    for values in itertools.product(*(values for _name, values in enums)):
        concrete = path
        for (name, _values), value in zip(enums, values, strict=True):
            concrete = concrete.replace(f"{{{name}}}", value)
        paths.append(concrete)
    return paths


def documented_operations(document: dict[str, Any]) -> dict[Key, str]:
    found: dict[Key, str] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                for concrete in _concrete_paths(path, operation.get("parameters", [])):
                    found[(_unnamed(concrete), method.upper())] = operation["x-route-name"]
    return found


def _listed(keys: Iterable[Key]) -> str:
    return "\n".join(f"  {method} {path}" for path, method in sorted(keys))


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/_emulator/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    found: dict[str, Any] = response.json()
    return found


async def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)  # raises with the offending part of the document
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == __version__
    assert document["servers"] == [{"url": "/"}]


async def test_every_mounted_route_is_documented_under_its_name(
    document: dict[str, Any],
) -> None:
    mounted = mounted_operations(create_app(Settings()).routes)
    documented = documented_operations(document)
    missing = mounted.keys() - documented.keys()
    assert not missing, f"mounted but not in the document:\n{_listed(missing)}"
    misnamed = {
        key: (mounted[key], documented[key]) for key in mounted if mounted[key] != documented[key]
    }
    assert not misnamed, f"route name (app, document) differs: {misnamed}"


async def test_every_documented_operation_is_mounted(document: dict[str, Any]) -> None:
    # Fails until the control routes described from the contract (faults, routes,
    # fixtures, login) are merged: it lists exactly those.
    mounted = mounted_operations(create_app(Settings()).routes)
    extra = documented_operations(document).keys() - mounted.keys()
    assert not extra, f"in the document but not mounted:\n{_listed(extra)}"


async def test_operation_ids_are_unique_route_names(document: dict[str, Any]) -> None:
    operations = [
        item[method] for item in document["paths"].values() for method in METHODS if method in item
    ]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    for operation in operations:
        route = operation["x-route-name"]
        assert operation["operationId"] in (route, *[i for i in ids if i.startswith(route + ":")])
    # The route name alone where it is one operation.
    assert document["paths"]["/unifize/application/token"]["post"]["operationId"] == (
        "unifize:token"
    )
    assert document["paths"]["/web1on1/v2/auth/token"]["get"]["operationId"] == (
        "web1on1:token:get"
    )
    regional = document["paths"]["/uneeq/{region}/api/v1/clients/access/tokens/"]["post"]
    assert regional["operationId"] == "uneeq:token:regional:trailing-slash"


def test_document_only_describes_the_app_s_vendors() -> None:
    document = build_document([UNIFIZE])
    validate(document)
    vendor_paths = {p.split("/")[1] for p in document["paths"]} - {"_emulator"}
    assert vendor_paths == {"unifize"}


def _vendor(api: ApiDescription) -> Vendor:
    """A vendor "twin" whose routes are the operations of `api`."""

    async def unused(_request: Any) -> Any:
        raise AssertionError("only described, never called")

    return dataclasses.replace(
        UNIFIZE,
        client=dataclasses.replace(UNIFIZE.client, id="twin"),
        endpoints=tuple(Endpoint(unused, operation) for operation in api.operations),
        prefixes=api.prefixes,
        schemas=api.schemas,
        responses=api.responses,
    )


def test_two_operations_on_one_path_and_method_are_refused() -> None:
    token = Operation("twin:a", "GET", "/a", "a", {"200": {"description": "ok"}})
    twice = ApiDescription(prefixes=(Prefix("/twin"),), operations=(token, token))
    with pytest.raises(ValueError, match="operationId twin:a"):
        build_document([_vendor(twice)])
    other_name = Operation("twin:b", "GET", "/a", "b", {"200": {"description": "ok"}})
    clash = ApiDescription(prefixes=(Prefix("/twin"),), operations=(token, other_name))
    with pytest.raises(ValueError, match="GET /twin/a is described twice"):
        build_document([_vendor(clash)])


def test_a_component_defined_twice_is_refused() -> None:
    api = ApiDescription(prefixes=(), operations=(), schemas={"ControlClock": {}})
    with pytest.raises(ValueError, match="components/schemas/ControlClock"):
        build_document([_vendor(api)])
