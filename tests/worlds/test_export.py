"""Export then import: the new world behaves as the original did at the export, and the
two go on independently from there."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.worlds.conftest import USES, flow, in_world, use
from tests.worlds.test_isolation import state

pytestmark = pytest.mark.anyio

# A token these vendors' use spends: once, then refused (UneeQ's session token, the
# widget's session token refreshed into a new one).
SINGLE_USE = {"uneeq", "widget"}
STEPS = st.lists(
    st.sampled_from([*sorted(USES), *(f"use {vendor}" for vendor in sorted(USES)), "advance"]),
    min_size=1,
    max_size=10,
)
NAMES = itertools.count()


async def export(http: httpx.AsyncClient) -> dict[str, Any]:
    answer = await http.get("/_emulator/export")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


async def imported(client: httpx.AsyncClient, document: dict[str, Any]) -> str:
    made = await client.post("/_emulator/worlds", json={"import": document})
    assert made.status_code == 201, made.text
    name: str = made.json()["name"]
    return name


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
async def test_an_imported_world_behaves_as_the_original_did_at_export(
    client: httpx.AsyncClient, steps: list[str]
) -> None:
    async with in_world(client, f"original-{next(NAMES)}") as original:
        issued: list[tuple[str, dict[str, Any], bool]] = []  # vendor, answer, used
        for step in steps:
            if step == "advance":  # well within every token's lifetime, five times over
                await original.post("/_emulator/clock", json={"advance": "30s"})
            elif step.startswith("use "):
                vendor = step.removeprefix("use ")
                mine = [number for number, (v, _a, _u) in enumerate(issued) if v == vendor]
                if mine:
                    _vendor, found, used = issued[mine[-1]]
                    if not (used and vendor in SINGLE_USE):
                        assert (await use(original, vendor, found)).status_code == 200
                    issued[mine[-1]] = (vendor, found, True)
            else:
                issued.append((step, await flow(original, step), False))
        document = await export(original)
        async with in_world(client, await imported(client, document)) as copy:
            for vendor in USES:
                assert await state(copy, vendor) == await state(original, vendor)
            reading = (await copy.get("/_emulator/clock")).json()
            assert reading["offset_seconds"] == pytest.approx(document["clock"]["offset_seconds"])
            # Each world spends what was issued before the export on its own: a single-use
            # token unspent at the export is spent once in each; one spent stays spent.
            for vendor, found, used in issued:
                answers = []
                for world in (original, copy):
                    first = (await use(world, vendor, found)).status_code
                    again = (await use(world, vendor, found)).status_code
                    answers.append((first, again))
                    if vendor not in SINGLE_USE:
                        assert (first, again) == (200, 200)
                    elif used:
                        assert 200 not in (first, again)
                    else:
                        assert first == 200 and again != 200
                assert answers[0] == answers[1]


@pytest.mark.each_database
async def test_a_copy_spends_a_token_once_as_the_original_does(client: httpx.AsyncClient) -> None:
    async with in_world(client, "original") as original:
        spent = await flow(original, "uneeq")
        assert (await use(original, "uneeq", spent)).status_code == 200
        unspent = await flow(original, "uneeq")
        made = await client.post("/_emulator/worlds", json={"name": "copy", "copy_of": "original"})
        assert made.status_code == 201, made.text
        async with in_world(client, "copy") as copy:
            for world in (original, copy):
                assert (await use(world, "uneeq", spent)).status_code == 401
                assert (await use(world, "uneeq", unspent)).status_code == 200
                assert (await use(world, "uneeq", unspent)).status_code == 401


@pytest.mark.each_database
async def test_an_import_document_that_does_not_fit_makes_no_world(
    client: httpx.AsyncClient,
) -> None:
    document = await export(client)
    before = (await client.get("/_emulator/worlds")).json()
    spoiled = [
        ({**document, "version": 99}, "export document version 99"),
        ({**document, "format": "har"}, "not an export document"),
        ({**document, "core": {"emulator_secrets": []}}, "no table 'emulator_secrets'"),
        ({**document, "vendors": {"nobody": {}}}, "no vendor 'nobody'"),
        ({**document, "clock": {"offset_seconds": "soon"}}, '"clock" must hold'),
    ]
    rows = json.loads(json.dumps(document))
    rows["vendors"]["uneeq"]["uneeq_workspaces"][0]["nonsense"] = 1
    spoiled.append((rows, "no column 'nonsense'"))
    for path, value, words in [
        (("clock", "frozen_at"), -1e20, "the clock stays between"),
        (("clock", "offset_seconds"), 1e300, "the clock stays between"),
        (("vendors", "uneeq", "uneeq_workspaces", 0, "token_ttl_seconds"), 10**30, "out of range"),
        (("vendors", "uneeq", "uneeq_workspaces", 0, "secret"), 12, "must be a string"),
        (("vendors", "uneeq", "uneeq_workspaces", 0, "id"), None, "may not be null"),
    ]:
        changed = json.loads(json.dumps(document))
        place = changed
        for step in path[:-1]:
            place = place[step]
        place[path[-1]] = value
        spoiled.append((changed, words))
    twice = json.loads(json.dumps(document))
    workspaces = twice["vendors"]["uneeq"]["uneeq_workspaces"]
    workspaces.append(workspaces[0])
    spoiled.append((twice, "the rows do not fit the tables"))
    for bad, words in spoiled:
        answer = await client.post("/_emulator/worlds", json={"name": "bad", "import": bad})
        assert answer.status_code == 400, answer.text
        assert words in answer.json()["error"]
    assert (await client.get("/_emulator/worlds")).json() == before
