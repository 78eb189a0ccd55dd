"""The worlds' control calls: `/_emulator/worlds` (list, create, delete) on the server,
and `/_emulator/export` in each world (core/worlds.py, core/world_document.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from token_emulator.control.handlers import json_object
from token_emulator.core.errors import ControlError
from token_emulator.core.links import base_url
from token_emulator.core.world import DEFAULT_WORLD, World, world_of
from token_emulator.core.worlds import (
    NoSuchWorld,
    WorldExists,
    WorldRefused,
    Worlds,
    is_name,
)

CREATE_KEYS = ("name", "fixtures", "copy_of", "import")


def worlds_of(request: Request) -> Worlds:
    worlds: Worlds = request.state.worlds
    return worlds


def _outside_a_world(request: Request) -> None:
    """The list of worlds is the server's: asked inside a world, it is refused."""
    if world_of(request).name != DEFAULT_WORLD:
        raise ControlError(
            "worlds are listed, created and deleted at the server's /_emulator/worlds, "
            "not inside a world",
            status=404,
        )


def world_answer(request: Request, world: World) -> dict[str, Any]:
    """Where the world's vendors and control plane are, as this request reached the server."""
    root = base_url(request).removesuffix(request.scope.get("root_path", ""))
    prefix = f"{root}/worlds/{world.name}"
    return {
        "name": world.name,
        "urls": {vendor.id: f"{prefix}/{vendor.id}" for vendor in world.vendors},
        "control": f"{prefix}/_emulator",
    }


async def worlds_collection(request: Request) -> Response:
    _outside_a_world(request)
    worlds = worlds_of(request)
    if request.method == "GET":
        return JSONResponse({"worlds": await worlds.listing()})
    body = await json_object(request)
    unknown = sorted(set(body) - set(CREATE_KEYS))
    if unknown:
        raise ControlError(f"unknown key {unknown[0][:40]!r}; give {', '.join(CREATE_KEYS)}")
    name, copy_of, fixtures = body.get("name"), body.get("copy_of"), body.get("fixtures")
    if name is not None and not isinstance(name, str):
        raise ControlError('"name" must be a string')
    if copy_of is not None and not isinstance(copy_of, str):
        raise ControlError('"copy_of" must be a string')
    if fixtures is not None and not isinstance(fixtures, dict):
        raise ControlError('"fixtures" must be an object of vendor ids')
    try:
        world = await worlds.create(
            name, fixtures=fixtures, copy_of=copy_of, document=body.get("import")
        )
    except WorldExists:
        raise ControlError(f"a world named {name!r} exists", status=409) from None
    except NoSuchWorld:
        raise ControlError(f"no world {str(copy_of)[:70]!r} to copy", status=404) from None
    except WorldRefused as refused:
        raise ControlError(str(refused), problems=refused.problems) from None
    return JSONResponse(world_answer(request, world), status_code=201)


async def world_item(request: Request) -> Response:
    _outside_a_world(request)
    name = request.path_params["name"]
    try:
        if not is_name(name):
            raise NoSuchWorld(name)
        await worlds_of(request).delete(name)
    except NoSuchWorld:
        raise ControlError(f"no world {name[:70]!r}", status=404) from None
    except WorldRefused as refused:
        raise ControlError(str(refused)) from None
    return JSONResponse({"deleted": name})


async def export(request: Request) -> Response:
    world = world_of(request)
    document = await worlds_of(request).export(world)
    disposition = f'attachment; filename="world-{world.name}.json"'
    return JSONResponse(document, headers={"Content-Disposition": disposition})
