"""Where the package's own files are: its default fixtures (light to import: the
command line's `--help` reads it)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def default_fixtures_dir() -> Path:
    """The package's own fixtures: a wheel carries them inside the package; a checkout
    (an editable install) has them beside it."""
    packaged = PACKAGE_DIR / "default_fixtures"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "fixtures"
