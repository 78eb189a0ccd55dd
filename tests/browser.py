"""Headless Chromium for the browser tests (the widget's test page, the dashboard).

Chromium and chromedriver come from the system (Debian: `apt-get install
chromium chromium-driver`); TEST_CHROMIUM and TEST_CHROMEDRIVER point
elsewhere. With CI=true a missing browser fails the test, since CI must run
it; elsewhere the test skips, saying why. Screenshots and other artifacts go
to test-artifacts/ at the repository root (git-ignored), or TEST_ARTIFACTS_DIR.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
REPO_ROOT = Path(__file__).resolve().parents[1]
SAVED: list[Path] = []  # listed at the end of the run by tests/conftest.py


def why_it_cannot_run() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return None


def require_browser() -> None:
    """Skip (fail with CI=true) when Chromium or chromedriver is missing."""
    why = why_it_cannot_run()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so the browser test must run, but {why}")
        pytest.skip(f"headless Chromium test skipped: {why}")


def chromium_once(url: str, *arguments: str, timeout: float = 60) -> str:
    """`chromium --headless <arguments> url` as a person runs it from a shell (no driver,
    no waiting beyond the page's load): what it prints on stdout."""
    require_browser()
    with tempfile.TemporaryDirectory(prefix="test-chromium-") as profile:
        done = subprocess.run(
            [str(CHROMIUM), *CHROMIUM_ARGS, f"--user-data-dir={profile}", *arguments, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextlib.contextmanager
def chromium(
    *,
    window_size: tuple[int, int] = (1280, 900),
    network_log: bool = False,
    console_log: bool = False,
    arguments: tuple[str, ...] = (),
) -> Iterator[Any]:
    """A headless Chromium driven by selenium, on a throw-away profile.

    `network_log` records the DevTools network events, read with `requested_urls`;
    `console_log` the page's console, with the browser's own messages (mixed content),
    read with `driver.get_log("browser")`; `arguments` go to Chromium as well (say,
    `--host-resolver-rules`).
    """
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--window-size={window_size[0]},{window_size[1]}")
    for argument in arguments:
        options.add_argument(argument)
    logs = {"performance": "ALL"} if network_log else {}
    if console_log:
        logs["browser"] = "ALL"
    if logs:
        options.set_capability("goog:loggingPrefs", logs)
    with tempfile.TemporaryDirectory(prefix="test-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


@contextlib.contextmanager
def serving_page(page: bytes, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """`page` as the answer to every GET, on a port of its own (over TLS with `tls`, a
    server context): a test page on another origin than the emulator's; its port."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def requested_urls(driver: Any, page_prefix: str) -> list[str]:
    """Every URL requested by pages under `page_prefix` since the last call (needs
    `network_log`); the browser's own pages (chrome://...) are left out."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        params = message["params"]
        if params.get("documentURL", "").startswith(page_prefix):
            urls.append(params["request"]["url"])
    return urls


def artifacts_dir() -> Path:
    directory = Path(os.environ.get("TEST_ARTIFACTS_DIR") or REPO_ROOT / "test-artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def save_screenshot(driver: Any, name: str) -> Path:
    """The whole page (not only the window) as a PNG under artifacts_dir()."""
    path = artifacts_dir() / name
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    SAVED.append(path)
    return path
