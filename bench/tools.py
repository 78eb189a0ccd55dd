"""The tools outside Python: oauth2-mock-server from npm (bench/node), and wrk (load.py)."""

from __future__ import annotations

import json
import shutil
import subprocess

from bench.servers import NODE_DIR, OAUTH2_MOCK_PACKAGE, OAUTH2_MOCK_SCRIPT

MINIMUM_NODE = 20  # oauth2-mock-server 8.2.3's engines: ^20.19 || ^22.12 || ^24


def _pinned_version() -> str:
    version: str = json.loads((NODE_DIR / "package.json").read_text())["dependencies"][
        "oauth2-mock-server"
    ]
    return version


def _installed_version() -> str | None:
    manifest = OAUTH2_MOCK_PACKAGE / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def ensure_oauth2_mock() -> tuple[bool, str]:
    """Install the pinned oauth2-mock-server into bench/node/node_modules when missing.

    Returns whether it can run, and how it got there or why not.
    """
    if not (shutil.which("node") and shutil.which("npm") and shutil.which("npx")):
        return False, "node, npm or npx is not installed"
    done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    major = done.stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < MINIMUM_NODE:
        return False, f"node {done.stdout.strip()} is older than oauth2-mock-server needs"
    if _installed_version() == _pinned_version() and OAUTH2_MOCK_SCRIPT.exists():
        return True, "already installed in bench/node/node_modules"
    install = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if install.returncode != 0 or _installed_version() != _pinned_version():
        return False, f"npm ci failed: {(install.stderr or install.stdout).strip()[-500:]}"
    return True, "installed by `npm ci` in bench/node"
