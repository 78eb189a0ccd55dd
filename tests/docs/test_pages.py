"""The documentation as a reader meets it: a short README that reaches everything a
newcomer needs within two clicks, pages that cite only paths the repository has,
and no file that points outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.docs.pages import DOCS, README, REPO, blocks, pages

# A path a page cites in backticks, from one of the repository's top-level folders.
CITED = re.compile(
    r"`((?:token_emulator|tests|bench|fixtures|docs|examples|\.ci)/[A-Za-z0-9_./-]*)`"
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# Files that name docs/... paths as test data, not as citations.
TEST_DATA = {"tests/docker/test_dockerfile_parser.py"}
ROOT_FILES = ("Dockerfile", "compose.yaml", "mkdocs.yml", "CHANGELOG.md", "LICENSE")


def cited_paths(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [path for path in CITED.findall(text) if not re.search(r"[<{*]|/X\.|\.\.\.", path)]


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_path_a_page_cites_exists(page: Path) -> None:
    missing = [path for path in cited_paths(page) if not (REPO / path.rstrip("/")).exists()]
    assert missing == [], f"{page.relative_to(REPO)} cites {missing}"
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        # The screenshot is the browser test's, added when the site is built (hooks.py).
        if target != "images/dashboard.png":
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links {target}"


def test_code_and_tests_cite_docs_that_exist() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "token_emulator", "tests", "fixtures", "bench", "examples"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = set()
    for name in tracked:
        if name in TEST_DATA:
            continue
        path = REPO / name
        if path.suffix not in (".py", ".toml", ".txt", ".md", ".yml", ".yaml"):
            continue
        text = path.read_text(errors="replace")
        for cited in re.findall(r"\bdocs/(?:vendors/|deployment/)?[a-z-]+\.md\b", text):
            if not (REPO / cited).is_file():
                missing.add(f"{name}: {cited}")
    assert sorted(missing) == []


def test_no_file_points_outside_the_repository() -> None:
    outside = "../" + "shared"  # spelled apart so that this file does not match itself
    old_specs = "vendor" + "-docs"
    found = subprocess.run(
        ["git", "grep", "-l", "-F", "-e", outside, "-e", old_specs, "-e", "FINDINGS" + ".md"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert found == []


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    first, second = [block.text.strip() for block in blocks(README, "sh")][:2]
    assert first.endswith("token-emulator serve") and "pip install -e ." in first
    assert second.endswith(".venv/bin/pytest") and "'.[test]'" in second
    # The test command is the one CI runs.
    assert second in (REPO / ".ci" / "run").read_text()
    # Nothing but install commands before them.
    assert text.index(first) < text.index("\n## ")


def links_of(page: Path) -> set[Path]:
    found = set()
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if "://" not in target and target.endswith(".md"):
            found.add((page.parent / target).resolve())
    return found


NEEDS = {
    "a vendor's flow with curl": lambda t: "curl -s -X POST http://127.0.0.1:8080/uneeq/" in t,
    "the pytest fixture": lambda t: "def test_" in t and "(token_emulator)" in t,
    "the emulator in compose": lambda t: "condition: service_healthy" in t,
    "a given error code, reproduced": lambda t: "fault add" in t and "--status" in t,
    "moving the clock": lambda t: "clock advance" in t,
}


def test_from_the_readme_within_two_clicks() -> None:
    """What a reader who knows nothing looks for, on the README or a page it links to,
    or a page that one links to."""
    reached = {README.resolve()}
    for _ in range(2):
        reached |= {target for page in reached for target in links_of(page) if target.exists()}
    texts = {page: page.read_text(encoding="utf-8") for page in reached}
    for need, found_on in NEEDS.items():
        assert any(found_on(text) for text in texts.values()), need


def test_every_page_is_in_the_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        assert str(page.relative_to(DOCS)) in nav, page


@pytest.mark.parametrize("name", ROOT_FILES)
def test_the_root_files_the_docs_name_exist(name: str) -> None:
    assert (REPO / name).is_file()
