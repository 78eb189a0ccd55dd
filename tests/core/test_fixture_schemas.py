"""The JSON Schema shipped for each fixture file (token_emulator/fixture_schemas/): the
same as its model gives, and a check an editor can rely on: the default fixtures
pass it, and a misspelt key, a wrong type or a value out of range fail it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import FIXTURES
from token_emulator.fixture_schemas import schema_file, schema_of, shown
from token_emulator.vendors import all_clients

CLIENTS = {client.id: client for client in all_clients()}


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    return [error.message for error in Draft202012Validator(schema).iter_errors(document)]


@pytest.mark.parametrize("vendor", CLIENTS)
def test_the_shipped_schema_is_the_models(vendor: str) -> None:
    client = CLIENTS[vendor]
    shipped = schema_file(client.fixture_file)
    assert shipped.read_text(encoding="utf-8") == shown(schema_of(client)), (
        f"{shipped.name} is out of date: python -m token_emulator.fixture_schemas"
    )
    Draft202012Validator.check_schema(json.loads(shipped.read_text(encoding="utf-8")))


@pytest.mark.parametrize("vendor", CLIENTS)
def test_the_default_fixtures_pass_and_broken_ones_fail(vendor: str) -> None:
    client = CLIENTS[vendor]
    schema = json.loads(schema_file(client.fixture_file).read_text(encoding="utf-8"))
    document = tomllib.loads((FIXTURES / client.fixture_file).read_text(encoding="utf-8"))
    assert errors(schema, document) == []
    misspelt = {**document, "workspacez": []}
    assert any("workspacez" in message for message in errors(schema, misspelt))
    section = next(name for name, value in document.items() if isinstance(value, list) and value)
    wrong_type = copy.deepcopy(document)
    wrong_type[section][0]["id" if "id" in wrong_type[section][0] else "key"] = ["not", "one"]
    assert errors(schema, wrong_type)


def test_a_lifetime_out_of_range_fails() -> None:
    schema = json.loads(schema_file("uneeq.toml").read_text(encoding="utf-8"))
    workspace = {"id": "w", "secret": "s" * 32, "region": "us", "token_ttl_seconds": 0}
    assert errors(schema, {"workspaces": [workspace]})
    assert errors(schema, {"workspaces": [{**workspace, "region": "mars"}]})
    assert errors(schema, {"workspaces": [{**workspace, "token_ttl_seconds": 300}]}) == []


def test_the_schema_command_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "token_emulator", "schema", "web1on1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == schema_file("web1on1.toml").read_text(encoding="utf-8")
