"""BROWSER TEST: headless Chromium runs a page on one local port against the emulator on another.

The page, served from http://127.0.0.1:<port>, loads the widget config and a
guest token and exchanges it; served from http://localhost:<port> (an origin
the client key's allowlist lacks) it shows the 403 text, readable because the
widget's CORS is permissive. With CI=true a missing Chromium fails the test;
elsewhere it skips, saying why (tests/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser import chromium, serving_page
from tests.vendors.widget.conftest import IPV4_ONLY_KEY
from token_emulator.testing import EmulatorProcess

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>widget test page</title></head>
<body>
<pre id="config">pending</pre><pre id="guest">pending</pre><pre id="exchange">pending</pre>
<script>
const params = new URLSearchParams(location.search);
const api = params.get("api") + "/widget/api/v1/widget";
const key = params.get("key");
async function call(id, request) {
  const out = document.getElementById(id);
  try {
    const response = await request;
    const text = await response.text();
    out.textContent = response.status + " " + text;
    return response.ok ? JSON.parse(text) : null;
  } catch (error) {
    out.textContent = "network error: " + error;
    return null;
  }
}
const post = (path, body) => fetch(api + path, {
  method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
});
(async () => {
  await call("config", fetch(api + "/config?client_key=" + encodeURIComponent(key)));
  const guest = await call("guest", post("/auth/guest", {client_key: key}));
  if (guest) {
    await call("exchange", post("/auth/exchange", {token: guest.token, client_key: key}));
  } else {
    document.getElementById("exchange").textContent = "not attempted";
  }
  document.body.dataset.done = "1";
})();
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def page_port() -> Iterator[int]:
    """The test page on its own port, a second origin beside the emulator's."""
    with serving_page(PAGE) as port:
        yield port


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def run_page(browser: Any, page_url: str, emulator_url: str) -> dict[str, str]:
    """Open the page and wait until its script has written every result."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    query = urlencode({"api": emulator_url, "key": IPV4_ONLY_KEY})
    browser.get(f"{page_url}/?{query}")
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-done") == "1"
    )
    return {
        name: browser.find_element(By.ID, name).text for name in ("config", "guest", "exchange")
    }


def test_allowed_origin_gets_config_token_and_session(
    browser: Any, page_port: int, server: EmulatorProcess, live: httpx.Client
) -> None:
    results = run_page(browser, f"http://127.0.0.1:{page_port}", server.url)
    assert results["config"].startswith("200 {"), results
    assert '"display_name":"Acme Support"' in results["config"]
    assert results["guest"].startswith('200 {"token":'), results
    assert results["exchange"].startswith('200 {"session_token":'), results
    journal = live.get("/_emulator/requests", params={"vendor": "widget"}).json()["requests"]
    # The JSON POSTs were preflighted by the browser, and the preflights answered.
    preflights = [e for e in journal if e["method"] == "OPTIONS"]
    assert preflights and all(e["status"] == 200 for e in preflights)
    sessions = live.get("/_emulator/state/widget").json()["sessions"]
    assert len(sessions) == 1


def test_disallowed_origin_reads_the_403_text(
    browser: Any, page_port: int, server: EmulatorProcess, live: httpx.Client
) -> None:
    results = run_page(browser, f"http://localhost:{page_port}", server.url)
    assert results == {
        "config": "403 Origin not in allowlist",
        "guest": "403 Origin not in allowlist for this client_key",
        "exchange": "not attempted",
    }
    [entry] = live.get("/_emulator/requests", params={"route": "widget:guest"}).json()["requests"]
    assert entry["reason"] == (
        f"Origin http://localhost:{page_port} matches no entry of client key "
        f"{IPV4_ONLY_KEY}'s allowlist ['127.0.0.1:*']"
    )
