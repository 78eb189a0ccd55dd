"""What the figures were measured on: CPU, cores, memory, OS, versions, and how busy it was."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.servers import OAUTH2_MOCK_PACKAGE, REPO
from token_emulator.serving import uvicorn_options
from token_emulator.settings import Settings

PYTHON_PACKAGES = (
    "token-emulator",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "aiosqlite",
    "joserfc",
    "pydantic",
    "h11",
    "httptools",
    "uvloop",
)


def _first_line(command: list[str]) -> str | None:
    if not shutil.which(command[0]):
        return None
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def os_name() -> str:
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.platform()


def load_average() -> dict[str, Any]:
    """The 1, 5 and 15 minute load averages and the runnable processes right now."""
    fields = Path("/proc/loadavg").read_text().split()
    return {
        "1min": float(fields[0]),
        "5min": float(fields[1]),
        "15min": float(fields[2]),
        "runnable": fields[3],
    }


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PYTHON_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def oauth2_mock_version() -> str | None:
    manifest = OAUTH2_MOCK_PACKAGE / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def git_commit() -> str | None:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        # The run's own outputs, left from an earlier run, are not a change to the code.
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "."]
        + [f":(exclude){output}" for output in ("bench/RESULTS.md", "bench/results.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def uvicorn_choices() -> dict[str, str]:
    """What uvicorn's "auto" loop and HTTP implementation resolve to in this environment."""
    installed = versions()
    return {
        "loop": "uvloop" if installed["uvloop"] else "asyncio",
        "http": "httptools" if installed["httptools"] else "h11",
    }


def serve_options() -> dict[str, Any]:
    """The uvicorn options `serve` passes (token_emulator/serving.py), but the address."""
    options = uvicorn_options(Settings())
    return {
        # A protocol class is written by its qualified name.
        name: f"{value.__module__}.{value.__qualname__}" if isinstance(value, type) else value
        for name, value in options.items()
        if name not in ("host", "port")
    }


def describe() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "os": os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions(),
        "uvicorn_resolved": uvicorn_choices(),
        "serve_uvicorn_options": serve_options(),
        "node": _first_line(["node", "--version"]),
        "npm": _first_line(["npm", "--version"]),
        "oauth2_mock_server": oauth2_mock_version(),
        "git_commit": git_commit(),
        "load_at_start": load_average(),
    }
