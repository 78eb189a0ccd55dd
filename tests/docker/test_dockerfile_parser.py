"""The small Dockerfile and .dockerignore reader the image tests stand on."""

from __future__ import annotations

import pytest

from tests.docker import dockerfile

TEXT = """\
# syntax=docker/dockerfile:1
FROM python:3.12 AS build
ENV STAGE=build
CMD ["ignored"]

from --platform=linux/amd64 python:3.12-slim AS final
ENV A=1 \\
    # a comment inside a continuation is dropped, as Docker drops it

    B="two words" C='x=y'
ENV LEGACY value with spaces
USER 10001:10001
EXPOSE 8080 9090/udp
VOLUME /data /cache
VOLUME ["/more"]
COPY --chown=1:1 a.txt b.txt /dst/
HEALTHCHECK --interval=10s --retries=3 \\
    CMD ["python", "-m", "x"]
CMD token-emulator serve
cmd ["token-emulator", \\
     "serve"]
"""


def test_reads_the_final_stage() -> None:
    image = dockerfile.parse(TEXT)
    assert image.base_image == "python:3.12-slim"
    assert image.env == {"A": "1", "B": "two words", "C": "x=y", "LEGACY": "value with spaces"}
    assert image.user == "10001:10001"
    assert image.exposed == {"8080", "9090/udp"}
    assert image.volumes == {"/data", "/cache", "/more"}
    assert image.copies == [(["a.txt", "b.txt"], "/dst/")]
    check = image.healthcheck
    assert check.options == {"interval": "10s", "retries": "3"}
    assert check.command == dockerfile.Command(True, ("python", "-m", "x"))
    # The last CMD wins; it is exec form even across a continuation.
    assert image.cmd == dockerfile.Command(True, ("token-emulator", "serve"))
    assert [i.line for i in image.all("CMD")] == [19, 20]


def test_shell_form_runs_under_sh() -> None:
    image = dockerfile.parse("FROM scratch\nCMD [not json\n")
    assert image.cmd == dockerfile.Command(False, ("/bin/sh", "-c", "[not json"))


@pytest.mark.parametrize(
    ("value", "seconds"), [("10s", 10.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0)]
)
def test_durations(value: str, seconds: float) -> None:
    assert dockerfile.duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["10", "s", "10x", "1m 30s", ""])
def test_bad_durations(value: str) -> None:
    with pytest.raises(ValueError):
        dockerfile.duration_seconds(value)


def test_dockerignore_patterns() -> None:
    patterns = dockerfile.ignore_patterns(
        "# comment\n.venv\n**/__pycache__\n*.log\n/build/\ndocs/*.md\n!docs/keep.md\n"
    )
    ignored = [
        ".venv",
        ".venv/bin/python",
        "__pycache__/a.pyc",
        "token_emulator/core/__pycache__/a.pyc",
        "x.log",
        "build/lib/a.py",
        "docs/a.md",
    ]
    kept = ["token_emulator/app.py", "sub/x.log", "docs/keep.md", "docs/sub/a.md", "venv"]
    for path in ignored:
        assert dockerfile.is_ignored(path, patterns), path
    for path in kept:
        assert not dockerfile.is_ignored(path, patterns), path
