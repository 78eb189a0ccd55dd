"""The shape of the code, read from its source: what core/ may import, no import cycles,
the adapters' checked versions in step with pyproject.toml, and every pointer into
bench/HISTORY.md naming a section that is there."""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "token_emulator"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative.with_suffix(".py")).is_file() or (ROOT / relative).is_dir()


def imports_of(path: Path) -> Iterator[str]:
    """Every token_emulator module `path` imports, at any depth of its code, for typing
    only too; `from package import module` names the module."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("token_emulator"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("token_emulator"):
                continue
            submodules = [f"{node.module}.{a.name}" for a in node.names]
            named = [name for name in submodules if is_module(name)]
            yield from named or [node.module]
            if len(named) < len(submodules):
                yield node.module


def graph(under: Path) -> dict[str, set[str]]:
    return {module_name(path): set(imports_of(path)) for path in sorted(under.rglob("*.py"))}


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among `edges`' modules, as the path around it; None if none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in edges:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_core_has_no_import_cycle() -> None:
    assert cycle_in(graph(PACKAGE / "core")) is None


def test_the_whole_package_has_no_import_cycle_at_module_level_or_below() -> None:
    """Outside core/ an import inside a function may close a loop only where it is
    deferred on purpose (none today): the whole package is held to the same rule."""
    assert cycle_in(graph(PACKAGE)) is None


def test_core_imports_only_core_and_the_package_version() -> None:
    """Not serving, not settings, no vendor, no request path: the core is told what it
    needs (World.open's parameters), and the layers above it import it, not the reverse."""
    outside = {
        (module, target)
        for module, targets in graph(PACKAGE / "core").items()
        for target in targets
        if not target.startswith("token_emulator.core") and target != "token_emulator"
    }
    assert outside == set()


def test_vendor_client_modules_import_no_server_side_module() -> None:
    """A vendor's client.py and models.py (what QA commands and tests load) reach no
    Starlette, no SQLAlchemy and no server-side module of ours."""
    server_side = ("token_emulator.request_path", "token_emulator.app", "token_emulator.control")
    for vendor in sorted(p for p in (PACKAGE / "vendors").iterdir() if p.is_dir()):
        for name in ("client.py", "models.py"):
            path = vendor / name
            if not path.exists():
                continue
            source = path.read_text()
            assert not re.search(r"^\s*(from|import) (starlette|sqlalchemy)", source, re.M), path
            assert not [t for t in imports_of(path) if t.startswith(server_side)], path


def _pyproject_range(library: str) -> tuple[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        match = re.fullmatch(rf"{library}(?:\[[^\]]*\])?>=([\d.]+),<([\d.]+)", requirement)
        if match:
            return match[1], match[2]
    raise AssertionError(f"{library} has no closed range in pyproject.toml")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@pytest.mark.parametrize("library", ["starlette", "uvicorn"])
def test_an_adapter_names_the_range_pyproject_allows_and_the_installed_release_is_in_it(
    library: str,
) -> None:
    adapter = importlib.import_module(f"token_emulator.adapters.{library}")
    assert _pyproject_range(library) == adapter.CHECKED_AGAINST
    low, high = (_version(v) for v in adapter.CHECKED_AGAINST)
    installed = _version(importlib.import_module(library).__version__)
    assert low <= installed < high


def test_every_pointer_into_the_measurement_history_names_a_section() -> None:
    history = (ROOT / "bench" / "HISTORY.md").read_text()
    sections = set(re.findall(r"^## (.+)$", history, re.M))
    named = {
        (str(path.relative_to(ROOT)), section)
        for path in PACKAGE.rglob("*.py")
        for section in re.findall(
            r'HISTORY\.md, "([^"]+)"', re.sub(r"\s*\n\s*#?\s*", " ", path.read_text())
        )
    }
    assert named, "no pointer found: the pattern no longer matches the comments"
    assert {(path, section) for path, section in named if section not in sections} == set()
