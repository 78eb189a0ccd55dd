"""The package as another project gets it: built into an sdist and a wheel, installed
into a fresh virtual environment outside the checkout."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The Python versions the classifiers name; each must be tested here.
PYTHONS = ("3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Distributions:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """`python -m build` of the checkout, once per session."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return Distributions(sdist, wheel)


def find_python(version: str) -> str | None:
    """An interpreter of `version` that runs: this one, one pyenv installed, or
    python3.X on PATH (a pyenv shim there may name a version it cannot run)."""
    if sys.version_info[:2] == tuple(int(part) for part in version.split(".")):
        return sys.executable
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"), reverse=True)
    if on_path := shutil.which(f"python{version}"):
        candidates.append(on_path)
    for candidate in candidates:
        check = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        try:
            done = subprocess.run(check, capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


def python_or_skip(version: str) -> str:
    found = find_python(version)
    if found is None:
        reason = f"no Python {version} here (python{version} on PATH, or under pyenv)"
        # The classifiers promise it: in CI a missing interpreter is a failure.
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding the wheel, outside the checkout."""

    root: Path
    home: Path  # a directory of the user's own, where commands run

    def bin(self, name: str) -> str:
        return str(self.root / "bin" / name)

    def env(self) -> dict[str, str]:
        """The environment of a user's shell: nothing of the checkout's."""
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        kept.pop("EMULATOR_ADMIN_TOKEN", None)
        return {**kept, "PATH": f"{self.root / 'bin'}:{kept.get('PATH', '')}"}

    def run(
        self, *command: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=self.home,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )


def install(python: str, wheel: Path, where: Path, *extras: str) -> Installed:
    root = where / "venv"
    home = where / "project"
    home.mkdir(parents=True)
    subprocess.run([python, "-m", "venv", str(root)], check=True, timeout=120)
    installed = Installed(root, home)
    target = f"{wheel}[{','.join(extras)}]" if extras else str(wheel)
    done = installed.run(installed.bin("pip"), "install", "-q", target, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return installed
