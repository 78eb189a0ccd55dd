"""What the sdist and the wheel carry, and the metadata an index shows."""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from email.parser import Parser

from packaging.requirements import Requirement
from packaging.version import Version

from tests.packaging.conftest import PYTHONS, REPO, Distributions
from token_emulator import __version__

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def wheel_names(dist: Distributions) -> list[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return wheel.namelist()


def test_the_wheel_carries_fixtures_schemas_assets_types_and_license(dist: Distributions) -> None:
    names = set(wheel_names(dist))
    fixtures = {f"token_emulator/default_fixtures/{p.name}" for p in (REPO / "fixtures").iterdir()}
    assets = REPO / "token_emulator" / "control" / "assets"
    schemas = REPO / "token_emulator" / "fixture_schemas"
    expected = {
        *fixtures,
        # Each fixture file's JSON Schema, for editors (docs/fixtures.md).
        *(f"token_emulator/fixture_schemas/{p.name}" for p in schemas.glob("*.schema.json")),
        *(f"token_emulator/control/assets/{p.name}" for p in assets.iterdir()),
        "token_emulator/control/dashboard.html",
        "token_emulator/py.typed",
        f"token_emulator-{__version__}.dist-info/licenses/LICENSE",
    }
    assert expected <= names, sorted(expected - names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_wheel_installs_token_emulator_alone(dist: Distributions) -> None:
    """Read from its RECORD: every file lands under token_emulator/ or its dist-info."""
    with zipfile.ZipFile(dist.wheel) as wheel:
        record = wheel.read(f"token_emulator-{__version__}.dist-info/RECORD").decode()
    top_level = {line.split(",", 1)[0].split("/", 1)[0] for line in record.splitlines() if line}
    assert top_level == {"token_emulator", f"token_emulator-{__version__}.dist-info"}


def test_the_sdist_carries_sources_tests_license_and_changelog(dist: Distributions) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "token_emulator/py.typed",
        "fixtures/uneeq.toml",
        "tests/conftest.py",
    ):
        assert needed in names, needed


def test_the_metadata_says_what_an_index_needs(dist: Distributions) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        text = wheel.read(f"token_emulator-{__version__}.dist-info/METADATA").decode()
    metadata = Parser().parsestr(text)
    # The version is written once, in the package.
    assert metadata["Version"] == __version__ and "version" not in PROJECT
    assert metadata["License-Expression"] == "Apache-2.0"
    assert (REPO / "LICENSE").read_text().lstrip().startswith("Apache License")
    classifiers = set(metadata.get_all("Classifier"))
    assert {
        "Framework :: Pytest",
        "Topic :: Software Development :: Testing",
        "Typing :: Typed",
    } <= classifiers
    tested = {f"Programming Language :: Python :: {version}" for version in PYTHONS}
    named = {c for c in classifiers if c.startswith("Programming Language :: Python :: 3.")}
    assert named == tested  # each one is installed and run by test_installed.py
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Changelog"} <= urls.keys()
    entry_points = zipfile.ZipFile(dist.wheel).read(
        f"token_emulator-{__version__}.dist-info/entry_points.txt"
    )
    assert b"token-emulator = token_emulator.cli:main" in entry_points
    assert b"token_emulator = token_emulator.testing.plugin" in entry_points


def lower_bounds(requirements: list[str]) -> dict[str, Version]:
    bounds = {}
    for text in requirements:
        requirement = Requirement(text)
        [lowest] = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        bounds[requirement.name.lower()] = lowest
    return bounds


def test_the_lowest_versions_ci_installs_are_the_declared_lower_bounds() -> None:
    """.ci/lowest-versions.txt pins what pyproject.toml admits at the least, so the CI
    step that installs it tests the bottom of every range."""
    extras = PROJECT["optional-dependencies"]
    declared = lower_bounds([*PROJECT["dependencies"], *extras["postgres"], *extras["pytest"]])
    pinned = {}
    for line in (REPO / ".ci" / "lowest-versions.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.strip().lower()] = Version(version.strip())
    assert pinned == declared


def test_every_runtime_range_is_closed_above() -> None:
    for text in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["pytest"]]:
        assert any(s.operator == "<" for s in Requirement(text).specifier), text
