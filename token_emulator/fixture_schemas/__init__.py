"""The JSON Schema of each vendor's fixture file, generated from its fixture model
(the vendor's `models.py`) and shipped beside this module as `<file>.schema.json`,
so that an editor checks a TOML fixture file as you type (docs/fixtures.md).

`python -m token_emulator.fixture_schemas` writes them again after a model changes;
tests/core/test_fixture_schemas.py fails while a shipped file differs from its
model. What a schema cannot say (rules across entries and files) stays with
`token-emulator check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from token_emulator.core.vendor_client import VendorClient

DIRECTORY = Path(__file__).parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file(fixture_file: str) -> Path:
    """Where the schema of `uneeq.toml` (say) is shipped: `uneeq.schema.json`."""
    return DIRECTORY / f"{Path(fixture_file).stem}.schema.json"


def schema_of(client: VendorClient) -> dict[str, Any]:
    """The JSON Schema of the vendor's fixture file, from its model (pydantic)."""
    generated = client.fixture_model.model_json_schema()
    return {
        "$schema": DIALECT,
        "title": f"{client.title} fixtures ({client.fixture_file})",
        "description": f"token-emulator's fixture file {client.fixture_file} for {client.title}: "
        "a TOML file, checked as JSON. Rules across entries and files are "
        "`token-emulator check`'s.",
        **{key: value for key, value in generated.items() if key not in ("title", "description")},
    }


def shown(schema: dict[str, Any]) -> str:
    """The text a shipped schema file holds."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_all() -> list[Path]:
    """Write every vendor's schema file; the paths written."""
    from token_emulator.vendors import all_clients

    written = []
    for client in all_clients():
        path = schema_file(client.fixture_file)
        path.write_text(shown(schema_of(client)), encoding="utf-8")
        written.append(path)
    return written
