"""The documentation's pages and the code blocks on them, for the tests that run them.

A page is README.md or any Markdown file under docs/. A block is a fenced code
block with its language; a `console` block (commands for another machine: a
Docker engine, a package index) carries a `<!-- run by: PATH -->` line before
it naming the test that runs its equivalent, which tests/docs/test_pages.py
holds to exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"
DEFAULT_URL = "http://127.0.0.1:8080"

FENCE = re.compile(
    r"(?:^<!-- run by: (?P<marker>[^>]*?) -->\n)?^(?P<indent>[ \t]*)```(?P<language>[a-z]*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    text: str
    run_by: str | None  # a console block's marker

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def blocks(page: Path | None = None, language: str | None = None) -> list[Block]:
    found = []
    for path in [page] if page is not None else pages():
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            indent = match["indent"]
            body = "".join(
                line[len(indent) :] if line.startswith(indent) else line
                for line in match["body"].splitlines(keepends=True)
            )
            block = Block(
                path,
                text.count("\n", 0, match.start()) + 1,
                match["language"],
                body,
                match["marker"],
            )
            if language is None or block.language == language:
                found.append(block)
    return found


def section(page: Path, heading: str) -> str:
    """The text of the section under `heading` (any level), up to the next heading of
    its level or higher."""
    text = page.read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(heading)}\n", text, re.MULTILINE)
    assert match, f"{page.relative_to(REPO)} has no section {heading!r}"
    level = len(match[1])
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest
