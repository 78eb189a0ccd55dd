"""BROWSER TEST: a page served over HTTPS calls the emulator under `serve --tls`, as the
widget's and UneeQ's browser SDKs do from their pages, and succeeds; the same page
calling an emulator over plain HTTP is blocked by Chromium as mixed content.

A name, not a loopback address, for the emulators: Chromium lets an HTTPS page call
http://localhost and http://127.0.0.1 (both count as secure), so they are reached
as `emulator` (a single-label name, as compose gives), mapped to 127.0.0.1 by
--host-resolver-rules. The page is at https://localhost (an origin the widget's
client key allows), served with the emulator's own certificate, which names
localhost. Chromium trusts the emulator's local authority by its SPKI fingerprint
(--ignore-certificate-errors-spki-list).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.browser import chromium, serving_page
from token_emulator.certificates import CERT_FILE, KEY_FILE, spki_fingerprint
from token_emulator.client import TokenEmulator
from token_emulator.testing import EmulatorProcess
from token_emulator.vendors.uneeq.client import START_SESSION_PATH

CLIENT_KEY = "pk_live_acme_TESTONLYmain0001"  # fixtures/widget.toml: allows localhost:*
PAGE_HOST = "localhost"
EMULATOR_HOST = "emulator"

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>vendor SDK page</title></head>
<body><pre id="results">pending</pre>
<script>
const params = new URLSearchParams(location.search);
async function call(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
    });
    return {status: response.status, body: await response.text()};
  } catch (error) {
    return {error: String(error)};
  }
}
(async () => {
  const results = {};
  for (const scheme of ["https", "http"]) {
    const base = params.get(scheme);
    results[scheme] = {
      widget: await call(base + "/widget/api/v1/widget/auth/guest",
                         {client_key: params.get("key")}),
      uneeq: await call(base + "/uneeq" + params.get("start"),
                        {tokenId: params.get(scheme + "_token")}),
    };
  }
  document.getElementById("results").textContent = JSON.stringify(results);
  document.body.dataset.done = "1";
})();
</script></body></html>
"""


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    directory = tmp_path_factory.mktemp("https-browser")
    names = ("--tls-name", EMULATOR_HOST)
    with EmulatorProcess(directory / "emulator.sqlite3", tls=True, extra_args=names) as server:
        yield server


@pytest.fixture(scope="module")
def https_page(https_emulator: EmulatorProcess) -> Iterator[int]:
    """The page over HTTPS on its own port, with a certificate of the emulator's authority
    (the emulator's own, which names localhost)."""
    assert https_emulator.ca_file is not None
    directory = https_emulator.ca_file.parent
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / CERT_FILE, directory / KEY_FILE)
    with serving_page(PAGE, tls=context) as port:
        yield port


def single_use_token(url: str, ca_file: Path | None = None) -> str:
    """What the customer's server hands the page: UneeQ's single-use token."""
    with TokenEmulator(url, ca_file=ca_file) as emulator:
        return emulator.token("uneeq")


def test_an_https_page_calls_the_https_emulator_and_plain_http_is_blocked(
    https_emulator: EmulatorProcess, https_page: int, server: EmulatorProcess
) -> None:
    assert https_emulator.ca_file is not None
    authority = spki_fingerprint(https_emulator.ca_file.read_bytes())
    rules = f"MAP {EMULATOR_HOST} 127.0.0.1, MAP {PAGE_HOST} 127.0.0.1"
    arguments = (
        f"--host-resolver-rules={rules}",
        f"--ignore-certificate-errors-spki-list={authority}",
    )
    with TokenEmulator(server.url) as plain:
        plain.clear_requests()
    query = urlencode(
        {
            "https": f"https://{EMULATOR_HOST}:{https_emulator.port}",
            "http": f"http://{EMULATOR_HOST}:{server.port}",
            "key": CLIENT_KEY,
            "start": START_SESSION_PATH,
            "https_token": single_use_token(https_emulator.url, https_emulator.ca_file),
            "http_token": single_use_token(server.url),
        }
    )
    page_url = f"https://{PAGE_HOST}:{https_page}/?{query}"
    with chromium(console_log=True, arguments=arguments) as browser:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        browser.get(page_url)
        WebDriverWait(browser, 20).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-done") == "1"
        )
        results = json.loads(browser.find_element(By.ID, "results").text)
        console = [entry["message"] for entry in browser.get_log("browser")]
    # Over HTTPS both SDK calls succeed, CORS and all.
    assert results["https"]["widget"]["status"] == 200, results
    assert json.loads(results["https"]["widget"]["body"])["token"]
    assert results["https"]["uneeq"]["status"] == 200, results
    assert json.loads(results["https"]["uneeq"]["body"])["id"]
    # Over plain HTTP the browser never sends them: mixed content.
    assert "error" in results["http"]["widget"], results
    assert "error" in results["http"]["uneeq"], results
    blocked = [message for message in console if "Mixed Content" in message]
    assert any(f"http://{EMULATOR_HOST}:{server.port}/widget/" in m for m in blocked), console
    assert any(f"http://{EMULATOR_HOST}:{server.port}/uneeq/" in m for m in blocked), console
    with TokenEmulator(server.url) as plain:
        arrived = [entry for entry in plain.requests() if entry["vendor"] in ("widget", "uneeq")]
    assert [entry["route"] for entry in arrived] == ["uneeq:token"]  # the test's own call
    with TokenEmulator(https_emulator.url, ca_file=https_emulator.ca_file) as secure:
        origins = {
            entry["route"]: dict(entry["request"]["headers"]).get("origin")
            for entry in secure.requests(bodies=True)
            if entry["method"] == "POST"
        }
    assert origins["widget:guest"] == f"https://{PAGE_HOST}:{https_page}"
    assert origins["uneeq:start-session"] == f"https://{PAGE_HOST}:{https_page}"
