"""image-constraints.txt pins what the image installs: a version of every dependency
pyproject.toml declares (the `postgres` extra's too), each inside its declared range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;#]+)")


def pins() -> dict[str, Version]:
    found = {}
    for line in (REPO / "image-constraints.txt").read_text().splitlines():
        if match := PIN.match(line):
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["postgres"]]
    pinned = pins()
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not pinned in image-constraints.txt"
        assert pinned[name] in requirement.specifier, f"{name}=={pinned[name]} is not {text}"
    assert "greenlet" in pinned  # sqlalchemy[asyncio]'s extra, which the store needs


def test_the_dockerfile_installs_with_the_constraints() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "image-constraints.txt /tmp/src/" in dockerfile
    assert 'pip install --no-cache-dir -c /tmp/src/image-constraints.txt "/tmp/src[postgres]"' in (
        dockerfile
    )
