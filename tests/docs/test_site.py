"""The site as mkdocs builds it (mkdocs.yml), with --strict: no broken link or anchor,
no page missing from the navigation; a search index; the fixture reference made
from the models; the dashboard's screenshot, taken here in headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium, save_screenshot
from tests.docs.pages import REPO
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt
from token_emulator.vendors import all_clients


def take_dashboard_screenshot(
    server: EmulatorProcess, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The dashboard with a refusal in its journal, as docs/dashboard.md shows it."""
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()
    httpx.post(
        f"{server.url}/uneeq/api/v1/clients/access/tokens",
        content=uneeq_request_jwt("not-the-demo-secret", "demo", sid="docs"),
        headers={"workspace": "demo", "content-type": "application/jwt"},
    )
    monkeypatch.setenv("TEST_ARTIFACTS_DIR", str(artifacts))  # where save_screenshot writes
    with chromium(window_size=(1400, 1000)) as browser:
        browser.get(f"{server.url}/_emulator/")
        browser.implicitly_wait(10)
        browser.find_element("css selector", "body[data-ready]")
        browser.find_element("css selector", "#journal-rows tr")
        return save_screenshot(browser, "dashboard.png")


def build_site(site: Path, artifacts: Path) -> Path:
    """`mkdocs build --strict` into `site`, the screenshot (if any) from `artifacts`."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TEST_ARTIFACTS_DIR": str(artifacts), "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    return site


def test_the_site_builds_strictly(
    server: EmulatorProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifacts = tmp_path / "artifacts"
    shot = take_dashboard_screenshot(server, artifacts, monkeypatch)
    assert shot.read_bytes().startswith(b"\x89PNG")
    site = build_site(tmp_path / "site", artifacts)
    for page in ("index.html", "vendors/uneeq/index.html", "deployment/https/index.html"):
        assert (site / page).is_file(), page
    assert (site / "images" / "dashboard.png").read_bytes() == shot.read_bytes()
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert any("single-use token" in doc["text"] for doc in index["docs"])
    reference = (site / "fixtures" / "index.html").read_text()
    for client in all_clients():
        assert client.fixture_file in reference
    assert "token_ttl_seconds" in reference and "allowlist" in reference
    changelog = (site / "changelog" / "index.html").read_text()
    assert "serve --tls" in changelog  # CHANGELOG.md, included whole


def test_a_fresh_clone_builds_it_before_any_test_made_the_screenshot(tmp_path: Path) -> None:
    """`mkdocs serve` and `mkdocs build` from the README work at once: the dashboard's
    page says how to make its picture instead."""
    site = build_site(tmp_path / "site", tmp_path / "none")
    assert not (site / "images" / "dashboard.png").exists()
    assert "pytest tests/docs/test_site.py" in (site / "dashboard" / "index.html").read_text()
