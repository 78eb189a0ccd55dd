"""Read the Dockerfile and .dockerignore the way Docker does, for the instructions we use.

No Docker engine runs where these tests run, so the tests take the image's
facts from the files themselves: the final stage's base image, ENV, USER,
EXPOSE, VOLUME, COPY, CMD and HEALTHCHECK, with line continuations, comments
inside them, and exec-form JSON arrays handled as Docker's parser does.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ESCAPE = "\\"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    arguments: str  # continuations joined, comment lines inside them dropped
    line: int  # where it starts, 1-based


@dataclass(frozen=True)
class Command:
    """A CMD or a HEALTHCHECK's command: the argv a container would run."""

    exec_form: bool
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: Command


@dataclass
class Dockerfile:
    instructions: list[Instruction]
    stage: list[Instruction] = field(init=False)

    def __post_init__(self) -> None:
        froms = [i for i, ins in enumerate(self.instructions) if ins.keyword == "FROM"]
        if not froms:
            raise ValueError("no FROM instruction")
        # Only the final stage ends up in the image.
        self.stage = self.instructions[froms[-1] :]

    def all(self, keyword: str) -> list[Instruction]:
        return [ins for ins in self.stage if ins.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        if not found:
            raise LookupError(f"no {keyword} instruction")
        return found[-1]  # as Docker does, the last one wins

    @property
    def base_image(self) -> str:
        """The final stage's FROM, with the build arguments declared before the first
        FROM at their defaults (`ARG PYTHON_IMAGE=python:3.12-slim-bookworm`)."""
        words = [w for w in self.stage[0].arguments.split() if not w.startswith("--")]
        image = words[0]
        for name, default in self.global_args.items():
            image = image.replace("${" + name + "}", default).replace("$" + name, default)
        return image

    @property
    def global_args(self) -> dict[str, str]:
        """The ARGs before the first FROM, by name, with their defaults ("" for none)."""
        found: dict[str, str] = {}
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            if ins.keyword == "ARG":
                name, _, default = ins.arguments.strip().partition("=")
                found[name] = default
        return found

    @property
    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for ins in self.all("ENV"):
            values.update(parse_env(ins.arguments))
        return values

    @property
    def user(self) -> str:
        return self.last("USER").arguments.strip()

    @property
    def exposed(self) -> set[str]:
        return {port for ins in self.all("EXPOSE") for port in ins.arguments.split()}

    @property
    def volumes(self) -> set[str]:
        return {path for ins in self.all("VOLUME") for path in json_or_words(ins.arguments)}

    @property
    def cmd(self) -> Command:
        return parse_command(self.last("CMD").arguments)

    @property
    def healthcheck(self) -> Healthcheck:
        return parse_healthcheck(self.last("HEALTHCHECK").arguments)

    @property
    def copies(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of each COPY from the build context."""
        result = []
        for ins in self.all("COPY"):
            words = json_or_words(ins.arguments)
            if any(w.startswith("--from") for w in words):
                continue
            paths = [w for w in words if not w.startswith("--")]
            result.append((paths[:-1], paths[-1]))
        return result


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join continuation lines; drop comments and blank lines, also inside a continuation."""
    result: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # parser directives are comments too, for what we read
        if not parts:
            start = number
        if stripped.endswith(ESCAPE):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        result.append((start, " ".join(p for p in parts if p)))
        parts = []
    if parts:
        result.append((start, " ".join(p for p in parts if p)))
    return result


def parse(text: str) -> Dockerfile:
    instructions = []
    for line, content in logical_lines(text):
        keyword, _, arguments = content.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), line))
    return Dockerfile(instructions)


def read(path: Path) -> Dockerfile:
    return parse(path.read_text())


def exec_array(arguments: str) -> list[str] | None:
    """The JSON array of an exec form, or None when it is the shell form."""
    if not arguments.startswith("["):
        return None
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return None  # Docker too falls back to the shell form
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def json_or_words(arguments: str) -> list[str]:
    array = exec_array(arguments)
    return array if array is not None else arguments.split()


def parse_command(arguments: str) -> Command:
    array = exec_array(arguments)
    if array is not None:
        return Command(exec_form=True, argv=tuple(array))
    return Command(exec_form=False, argv=("/bin/sh", "-c", arguments))


def parse_env(arguments: str) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        # The legacy form `ENV KEY value with spaces`.
        key, _, value = arguments.partition(" ")
        return {key: value.strip()}
    pairs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"ENV word without '=': {word!r}")
        pairs[key] = value
    return pairs


def parse_healthcheck(arguments: str) -> Healthcheck:
    options: dict[str, str] = {}
    rest = arguments
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.strip()
    kind, _, command = rest.partition(" ")
    if kind.upper() != "CMD":
        raise ValueError(f"HEALTHCHECK {kind}: no command")
    return Healthcheck(options, parse_command(command.strip()))


def duration_seconds(value: str) -> float:
    """Docker's (Go's) durations as the HEALTHCHECK options and compose use them: 1m30s, 5s."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|m|s)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"not a duration: {value!r}")
    return sum(float(n) * units[u] for n, u in parts)


# --- .dockerignore ---------------------------------------------------------


def ignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per pattern; Go's filepath.Match plus `**`, as Docker reads them."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.removeprefix("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(line):
            if line.startswith("**", i):
                regex += ".*"
                i += 2
                if line.startswith("/", i):
                    regex = regex[:-2] + "(?:.*/)?"
                    i += 1
            elif line[i] == "*":
                regex += "[^/]*"
                i += 1
            elif line[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(line[i])
                i += 1
        patterns.append((negated, re.compile(regex)))
    return patterns


def is_ignored(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """A path is out of the context when the last pattern matching it or a parent excludes it."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for negated, regex in patterns:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def stage_copies(dockerfile: Dockerfile, context: Path, root: Path) -> list[Path]:
    """Do the Dockerfile's COPY instructions into `root` (the image's /), minus ignored files.

    Returns the files copied. Enough of COPY's rules for ours: several sources
    or a destination ending in / go into that directory; a directory's
    contents go to the destination.
    """
    patterns = ignore_patterns((context / ".dockerignore").read_text())
    copied: list[Path] = []
    for sources, destination in dockerfile.copies:
        into_dir = destination.endswith("/") or len(sources) > 1
        for source in sources:
            origin = context / source
            target = root / destination.lstrip("/")
            if origin.is_dir():
                for file in sorted(p for p in origin.rglob("*") if p.is_file()):
                    relative = file.relative_to(context).as_posix()
                    if is_ignored(relative, patterns):
                        continue
                    out = target / file.relative_to(origin)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, out)
                    copied.append(out)
            else:
                if is_ignored(source, patterns):
                    raise FileNotFoundError(f"COPY {source}: excluded by .dockerignore")
                out = target / origin.name if into_dir else target
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, out)
                copied.append(out)
    return copied
