"""BROWSER TEST: a page on another origin attacks the emulator in headless Chromium.

The attacker's page is served from `evil.example` (mapped to 127.0.0.1 with
--host-resolver-rules, on a port of its own) and does what any web page may
do to a local server: `fetch` with `mode: "no-cors"` and a text/plain body
(the clock, a fault, an admin user added through run-time fixtures), then a
plain HTML form with `enctype="text/plain"` (a reset). Every request reaches
the emulator, which journals each refusal, and nothing changes.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium
from tests.security.test_cross_site import BODIES
from token_emulator.testing import EmulatorProcess
from token_emulator.testing.server import free_port

ATTACK = """<!doctype html>
<title>attacking</title>
<form id="form" method="post" enctype="text/plain" action="{control}/reset">
  <input type="hidden" name='{{"a": "' value='"}}'>
</form>
<script>
const send = (path, body) => fetch("{control}" + path, {{
  method: "POST", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify(body),
}}).catch(() => null);
(async () => {{
  await send("/clock", {clock});
  await send("/faults", {faults});
  await send("/fixtures", {fixtures});
  document.title = "sent";
  document.getElementById("form").submit();
}})();
</script>
"""


@pytest.fixture
def attacker_site(tmp_path: Path, live_server: EmulatorProcess) -> Iterator[str]:
    """The attacker's page, at http://evil.example:PORT/attack.html."""
    import json

    control = f"{live_server.url}/_emulator"
    page = ATTACK.format(
        control=control,
        clock=json.dumps(BODIES["/_emulator/clock"]),
        faults=json.dumps(BODIES["/_emulator/faults"]),
        fixtures=json.dumps(BODIES["/_emulator/fixtures"]),
    )
    (tmp_path / "attack.html").write_text(page)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://evil.example:{port}/attack.html"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_on_another_origin_changes_nothing(
    attacker_site: str, live_server: EmulatorProcess, live: httpx.Client
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    kept = live.post("/_emulator/faults", json={"vendor": "8x8", "status": 503}).json()["fault"]
    before = live.get("/_emulator/state/web1on1").json()["users"]
    rules = "--host-resolver-rules=MAP evil.example 127.0.0.1"
    with chromium(arguments=(rules,)) as browser:
        browser.get(attacker_site)
        # The form's post leaves the attacker's page for the emulator's refusal.
        WebDriverWait(browser, 20).until(lambda d: d.current_url.startswith(live_server.url))
    clock = live.get("/_emulator/clock").json()
    assert round(clock["offset_seconds"]) == 0 and clock["frozen"] is False
    assert live.get("/_emulator/faults").json()["faults"] == [kept], "no fault, no reset"
    assert live.get("/_emulator/state/web1on1").json()["users"] == before
    journal = live.get("/_emulator/requests").json()["requests"]
    refused = {entry["path"]: entry for entry in journal if entry["status"] == 403}
    assert set(refused) == {
        "/_emulator/clock",
        "/_emulator/faults",
        "/_emulator/fixtures",
        "/_emulator/reset",
    }, "every attempt reached the emulator and was refused"
    assert all("Sec-Fetch-Site: cross-site" in entry["reason"] for entry in refused.values())
