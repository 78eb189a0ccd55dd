"""mkdocs hooks (mkdocs.yml): what the site takes from the code and the tests when built.

- `<!-- fixture-reference -->` on docs/fixtures.md becomes the reference of every
  fixture file, generated from the JSON Schemas the fixture models give
  (token_emulator/fixture_schemas/), so the page cannot drift from the models.
- images/dashboard.png is the screenshot the browser test takes
  (tests/docs/test_site.py, tests/control/test_dashboard_browser.py) in
  test-artifacts/ (or TEST_ARTIFACTS_DIR); on a fresh clone, before any test
  ran, the page says how to make it instead, so `mkdocs serve` works at once.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

REFERENCE_MARK = "<!-- fixture-reference -->"
SCREENSHOT = "images/dashboard.png"
SCREENSHOT_LINE = re.compile(r"^!\[[^\]]*\]\(images/dashboard\.png\)$", re.MULTILINE)
NO_SCREENSHOT = (
    "*(The screenshot is taken by the browser test: `pytest tests/docs/test_site.py` "
    "writes it, and the next build shows it here.)*"
)
_found: dict[str, bool] = {"screenshot": False}
REPO = Path(__file__).resolve().parents[1]
log = logging.getLogger("mkdocs.hooks")


def on_files(files: Files, config: Any) -> Files:
    artifacts = Path(os.environ.get("TEST_ARTIFACTS_DIR") or REPO / "test-artifacts")
    shot = artifacts / "dashboard.png"
    _found["screenshot"] = shot.is_file()
    if _found["screenshot"]:
        files.append(File.generated(config, SCREENSHOT, abs_src_path=str(shot)))
    else:
        log.info("no dashboard screenshot at %s: the page says how to make one", shot)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if not _found["screenshot"]:
        markdown = SCREENSHOT_LINE.sub(NO_SCREENSHOT, markdown)
    if REFERENCE_MARK in markdown:
        markdown = markdown.replace(REFERENCE_MARK, fixture_reference())
    return markdown


def fixture_reference() -> str:
    from token_emulator.fixture_schemas import schema_of
    from token_emulator.vendors import all_clients

    parts = []
    for client in all_clients():
        schema = schema_of(client)
        parts.append(f"### `{client.fixture_file}` ({client.title})\n")
        settings = {
            name: field
            for name, field in schema["properties"].items()
            if field.get("type") != "array"
        }
        if settings:
            parts.append("Top-level settings:\n\n" + _table(settings, schema) + "\n")
        for name, field in schema["properties"].items():
            if field.get("type") != "array":
                continue
            entry = _resolved(field["items"], schema)
            table = _table(entry["properties"], schema, entry)
            parts.append(f"`[[{name}]]`, each entry:\n\n" + table)
            parts.append("")
    return "\n".join(parts)


def _resolved(field: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = field.get("$ref")
    if ref is None:
        return field
    found: dict[str, Any] = schema["$defs"][ref.rsplit("/", 1)[1]]
    return found


def _table(
    properties: dict[str, Any], schema: dict[str, Any], owner: dict[str, Any] | None = None
) -> str:
    required = set((owner or schema).get("required", ()))
    rows = ["| field | type | required | default | limits |", "| --- | --- | --- | --- | --- |"]
    for name, field in properties.items():
        default = f"`{json.dumps(field['default'])}`" if "default" in field else ""
        rows.append(
            f"| `{name}` | {_type(field, schema)} | {'yes' if name in required else ''} "
            f"| {default} | {_limits(field)} |"
        )
    extra = (owner or {}).get("additionalProperties")
    if extra not in (None, False):
        rows.append("| any other field | any | | | shown by the API as given |")
    return "\n".join(rows) + "\n"


def _type(field: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in field:
        return f"table ({field['$ref'].rsplit('/', 1)[1]})"
    if "enum" in field:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in field["enum"])
    if "const" in field:
        return f"`{json.dumps(field['const'])}`"
    if "anyOf" in field:
        return " or ".join(_type(option, schema) for option in field["anyOf"])
    kind = field.get("type", "any")
    if kind == "array":
        return f"list of {_type(field.get('items', {}), schema)}"
    return str(kind)


def _limits(field: dict[str, Any]) -> str:
    words = {
        "minLength": "at least {} characters",
        "maxLength": "at most {} characters",
        "minimum": "≥ {}",
        "maximum": "≤ {}",
        "exclusiveMinimum": "> {}",
        "exclusiveMaximum": "< {}",
        "pattern": "matches `{}`",
        "minItems": "at least {} items",
    }
    found = [text.format(field[key]) for key, text in words.items() if key in field]
    for option in field.get("anyOf", ()):
        found += [text.format(option[key]) for key, text in words.items() if key in option]
    return ", ".join(found).replace(" 1 characters", " 1 character").replace("|", "\\|")
