"""BROWSER TEST: the dashboard at /_emulator/ in headless Chromium, against a real `serve`.

The page moves the clock with its buttons, shows a refused request with its
reason as it arrives, renders hostile paths as text, filters the journal and
copies credentials; it asks for nothing outside the emulator's origin. The
screenshot goes to test-artifacts/dashboard.png (tests/browser.py). With
CI=true a missing Chromium fails these tests; elsewhere they skip, saying why.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.browser import (
    SAVED,
    artifacts_dir,
    chromium,
    chromium_once,
    requested_urls,
    save_screenshot,
)
from tests.conftest import FIXTURES
from token_emulator.testing import EmulatorProcess, uneeq_request_jwt

TOKEN_PATH = "/uneeq/api/v1/clients/access/tokens"
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(window_size=(1400, 1000), network_log=True) as driver:
        yield driver


def wait_for(browser: Any, condition: Callable[[Any], T], timeout: float = 15) -> T:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # An element found just before the page navigates (the login form's submit) is
    # stale by the time it is read: that is "not yet", like an element not found.
    wait = WebDriverWait(
        browser, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )
    result: T = wait.until(condition)
    return result


def by_id(browser: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, element_id)


def button(browser: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def open_dashboard(browser: Any, server: EmulatorProcess) -> None:
    browser.get(f"{server.url}/_emulator/")
    wait_for(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"))


def shown_clock(browser: Any) -> datetime:
    """The clock as the page writes it, e.g. "2030-03-17 17:46:40 UTC"."""
    text = by_id(browser, "clock-now").text
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)


def instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def journal_rows(browser: Any) -> list[dict[str, str]]:
    """The journal table as the reader sees it, one dict per row."""
    rows = browser.execute_script(
        """return Array.from(document.querySelectorAll('#journal-rows tr')).map(
             row => Array.from(row.cells).map(cell => cell.textContent));"""
    )
    names = ("arrived", "time", "vendor", "route", "method", "path", "status", "reason")
    return [dict(zip(names, row, strict=True)) for row in rows]


def inside(text: str, start: str, end: str) -> str:
    """What `text` holds between `start` and the next `end`."""
    assert start in text, start
    return text.split(start, 1)[1].split(end, 1)[0]


def test_first_paint_shows_the_state(live_server: EmulatorProcess, live: httpx.Client) -> None:
    """`chromium --headless --screenshot` with no time budget takes the page as it loads:
    the clock, the journal's rows, the armed fault and the vendors are in it, because the
    page comes with them (they used to arrive by script after load, and the shot was
    empty). The DOM is read the same way (--dump-dom), at the same moment."""
    live.post("/_emulator/clock", json={"set": "2031-02-03T04:05:06Z", "freeze": True})
    for secret in ("not-the-demo-secret", "another-wrong-one"):
        httpx.post(
            f"{live_server.url}{TOKEN_PATH}",
            content=uneeq_request_jwt(secret, "demo", sid="first-paint"),
            headers={"workspace": "demo", "content-type": "application/jwt"},
        )
    live.post("/_emulator/faults", json={"vendor": "8x8", "status": 503, "times": 3})
    page = f"{live_server.url}/_emulator/"

    dom = chromium_once(page, "--dump-dom")
    clock = re.search(r'<span id="clock-now"[^>]*>([^<]*)</span>', dom)
    assert clock is not None and clock.group(1) == "2031-02-03 04:05:06 UTC"
    journal = inside(dom, '<tbody id="journal-rows">', "</tbody>")
    assert journal.count("<tr ") == 2
    assert "signature does not verify" in journal
    faults = inside(dom, '<tbody id="faults-rows">', "</tbody>")
    assert faults.count("<tr ") == 1 and ">8x8<" in faults and "status 503" in faults
    vendors = live.get("/_emulator/health").json()["vendors"]
    assert dom.count('<article class="panel vendor" data-vendor=') == len(vendors)

    shot = artifacts_dir() / "dashboard-first-paint.png"
    chromium_once(page, f"--screenshot={shot}", "--window-size=1400,1400")
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    SAVED.append(shot)


def test_the_world_selector_shows_the_chosen_worlds_state(
    browser: Any, live_server: EmulatorProcess, live: httpx.Client
) -> None:
    from selenium.webdriver.support.ui import Select

    assert live.post("/_emulator/worlds", json={"name": "qa-world"}).status_code == 201
    try:
        live.post(
            "/worlds/qa-world/_emulator/clock", json={"set": "2032-01-01T00:00:00Z", "freeze": True}
        )
        httpx.post(
            f"{live_server.url}/worlds/qa-world{TOKEN_PATH}",
            content=uneeq_request_jwt("not-the-demo-secret", "demo"),
            headers={"workspace": "demo", "content-type": "application/jwt"},
        )
        open_dashboard(browser, live_server)
        assert "qa-world" not in [row["path"] for row in journal_rows(browser)]
        Select(by_id(browser, "world")).select_by_visible_text("qa-world")
        wait_for(browser, lambda d: d.current_url.endswith("/worlds/qa-world/_emulator/"))
        wait_for(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"))
        assert shown_clock(browser) == instant("2032-01-01T00:00:00Z")
        [refused] = journal_rows(browser)
        assert refused["path"] == f"/worlds/qa-world{TOKEN_PATH}" and refused["status"] == "401"
        urls = [node.text for node in browser.find_elements("css selector", ".vendor-url")]
        assert f"{live_server.url}/worlds/qa-world/uneeq" in urls
        save_screenshot(browser, "dashboard-world.png")
        Select(by_id(browser, "world")).select_by_visible_text("default")
        wait_for(browser, lambda d: d.current_url == f"{live_server.url}/_emulator/")
        wait_for(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"))
        assert shown_clock(browser) != instant("2032-01-01T00:00:00Z")
    finally:
        live.delete("/_emulator/worlds/qa-world")


def test_a_click_on_an_entry_shows_its_request_and_answer(
    browser: Any, live_server: EmulatorProcess, live: httpx.Client
) -> None:
    live.post("/8x8/api/v1/tokens", headers={"Authorization": "Bearer demo-8x8-api-key-TEST-ONLY"})
    open_dashboard(browser, live_server)
    wait_for(browser, lambda d: journal_rows(d))
    browser.find_element("css selector", "#journal-rows tr").click()
    wait_for(browser, lambda d: by_id(d, "entry-answer").text)
    sent = by_id(browser, "entry-request").text
    assert sent.startswith("POST /8x8/api/v1/tokens")
    assert "authorization: Bearer demo... (26 characters)" in sent  # masked
    assert "demo-8x8-api-key-TEST-ONLY" not in sent
    answered = by_id(browser, "entry-answer").text
    assert answered.startswith("200") and "auth_token" in answered


def test_fixtures_added_from_the_page_and_the_links(
    browser: Any, live_server: EmulatorProcess, live: httpx.Client
) -> None:
    """The page adds run-time fixtures (a UneeQ workspace that then issues tokens), shows
    a refusal's problems, and links to the route list and the OpenAPI document."""
    from selenium.webdriver.support.ui import Select

    open_dashboard(browser, live_server)
    form = by_id(browser, "fixtures-form")
    Select(form.find_element("name", "vendor")).select_by_value("uneeq")
    sections = form.find_element("name", "fixtures")
    workspace = {"id": "from-page", "secret": "from-page-TEST-ONLY-0123", "region": "us"}
    sections.send_keys(json.dumps({"workspaces": [workspace]}))
    form.find_element("css selector", "button[type=submit]").click()
    result = wait_for(
        browser, lambda d: by_id(d, "fixtures-result").text or by_id(d, "fixtures-error").text
    )
    assert result == "added to uneeq: 1 workspaces"
    issued = httpx.post(
        f"{live_server.url}{TOKEN_PATH}",
        content=uneeq_request_jwt("from-page-TEST-ONLY-0123", "from-page"),
        headers={"workspace": "from-page", "content-type": "application/jwt"},
    )
    assert issued.status_code == 200

    sections.clear()
    sections.send_keys('{"workspaces": [{"id": "no-secret"}]}')
    form.find_element("css selector", "button[type=submit]").click()
    refused = wait_for(browser, lambda d: by_id(d, "fixtures-error").text)
    assert refused.startswith("fixtures refused: 400 fixtures rejected\n")
    assert "secret" in refused
    states = live.get("/_emulator/state/uneeq").json()["workspaces"]
    assert "no-secret" not in {workspace["id"] for workspace in states}

    links = {
        link.text: link.get_attribute("href")
        for link in browser.find_elements("css selector", "nav.links a")
    }
    page = f"{live_server.url}/_emulator/"
    assert links == {"OpenAPI": f"{page}openapi.json", "routes": f"{page}routes"}
    assert httpx.get(links["OpenAPI"]).json()["openapi"].startswith("3.1")
    assert "vendors" in httpx.get(links["routes"]).json()


def test_clock_button_and_a_refusal_in_the_journal(
    browser: Any, server: EmulatorProcess, live: httpx.Client
) -> None:
    page = f"{server.url}/_emulator/"
    requested_urls(browser, page)  # forget what earlier tests asked for
    open_dashboard(browser, server)
    button(browser, "Freeze").click()
    wait_for(browser, lambda d: by_id(d, "clock-mode").text == "frozen")
    frozen = live.get("/_emulator/clock").json()
    assert frozen["frozen"] is True
    wait_for(browser, lambda d: by_id(d, "clock-now").get_attribute("data-now") == frozen["now"])
    before = shown_clock(browser)
    assert before == instant(frozen["now"]).replace(microsecond=0)

    button(browser, "+15 min").click()
    wait_for(browser, lambda d: shown_clock(d) == before + timedelta(minutes=15))
    # The control API agrees with what the page shows, to the millisecond.
    clock = live.get("/_emulator/clock").json()
    assert clock["frozen"] is True
    assert by_id(browser, "clock-now").get_attribute("data-now") == clock["now"]
    assert instant(clock["now"]).replace(microsecond=0) == before + timedelta(minutes=15)
    assert by_id(browser, "clock-offset").text.startswith("+15 min")

    # A request signed with the wrong secret: refused, and the page shows why.
    refused = httpx.post(
        f"{server.url}{TOKEN_PATH}",
        content=uneeq_request_jwt("not-the-demo-secret", "demo", sid="dashboard"),
        headers={"workspace": "demo", "content-type": "application/jwt"},
    )
    assert refused.status_code == 401
    [entry] = live.get("/_emulator/requests").json()["requests"]
    assert entry["reason"], entry
    row = wait_for(browser, lambda d: next(iter(journal_rows(d)), None))
    assert row == {
        "arrived": instant(entry["real_time"]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC",
        "time": instant(entry["time"]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC",
        "vendor": "uneeq",
        "route": "uneeq:token",
        "method": "POST",
        "path": TOKEN_PATH,
        "status": "401",
        "reason": entry["reason"],
    }
    # The journal's time is the moved clock's.
    assert instant(entry["time"]) == instant(clock["now"])

    screenshot = save_screenshot(browser, "dashboard.png")
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    # Everything the page asked for came from the emulator.
    urls = requested_urls(browser, page)
    assert f"{page}assets/dashboard.js" in urls and f"{page}requests?limit=200" in urls
    assert [url for url in urls if not url.startswith(page)] == []
    # Nor does any element point elsewhere.
    elsewhere = browser.execute_script(
        """return Array.from(document.querySelectorAll('[src],[href],[action]'))
             .map(e => e.src || e.href || e.action)
             .filter(url => !url.startsWith(location.origin + '/_emulator/'));"""
    )
    assert elsewhere == []


def test_hostile_paths_show_as_text_and_filters_narrow_the_journal(
    browser: Any, server: EmulatorProcess, live: httpx.Client
) -> None:
    open_dashboard(browser, server)
    hostile = "/uneeq/<img src=x onerror=\"document.title='owned'\"><b>bold</b>"
    assert httpx.get(f"{server.url}{hostile}").status_code == 404
    key = "demo-8x8-api-key-TEST-ONLY"
    ok = httpx.post(f"{server.url}/8x8/api/v1/tokens", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200

    wait_for(browser, lambda d: len(journal_rows(d)) == 2)
    eight, uneeq = journal_rows(browser)
    assert (eight["vendor"], eight["status"], eight["reason"]) == ("8x8", "200", "")
    assert uneeq["path"] == hostile
    assert uneeq["reason"] == f"no route for GET {hostile}"
    # Text, not markup: no element was made from the path, no handler ran.
    injected = "return document.querySelectorAll('#journal-rows img, #journal-rows b').length"
    assert browser.execute_script(injected) == 0
    assert browser.title == "token-emulator dashboard"

    status = by_id(browser, "journal-filters").find_element("name", "status")
    status.send_keys("4xx")
    wait_for(browser, lambda d: [r["status"] for r in journal_rows(d)] == ["404"])
    status.clear()
    from selenium.webdriver.support.ui import Select

    vendor = Select(by_id(browser, "journal-filters").find_element("name", "vendor"))
    vendor.select_by_value("8x8")
    wait_for(browser, lambda d: [r["vendor"] for r in journal_rows(d)] == ["8x8"])
    vendor.select_by_value("")
    wait_for(browser, lambda d: len(journal_rows(d)) == 2)


def test_copy_button_puts_the_credential_on_the_clipboard(
    browser: Any, server: EmulatorProcess, live: httpx.Client
) -> None:
    open_dashboard(browser, server)
    origin = server.url
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    from selenium.webdriver.common.by import By

    card = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-vendor='widget']"))
    rows = card.find_elements(By.CSS_SELECTOR, ".credentials tbody tr")
    secret_row = next(r for r in rows if "sk_live_acme_TESTONLYsecret0001" in r.text)
    copy = secret_row.find_element(By.TAG_NAME, "button")
    copy.click()
    wait_for(browser, lambda d: copy.text == "copied")
    pasted = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('' + e));"
    )
    assert pasted == "sk_live_acme_TESTONLYsecret0001"
    url = card.find_element(By.CLASS_NAME, "vendor-url").text
    assert url == f"{origin}/widget"


def test_faults_panel_follows_the_control_api(
    browser: Any, server: EmulatorProcess, live: httpx.Client
) -> None:
    """Without /_emulator/faults the panel says so; with it, its form adds and deletes one."""
    open_dashboard(browser, server)
    listed = live.get("/_emulator/faults")
    if listed.status_code == 404:
        wait_for(browser, lambda d: by_id(d, "faults-error").text)
        assert by_id(browser, "faults-error").text == "faults unavailable: 404 Not Found"
        assert not button(browser, "Add fault").is_enabled()
        return
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert listed.json() == {"faults": []}
    form = by_id(browser, "fault-form")
    wait_for(browser, lambda d: button(d, "Add fault").is_enabled())
    wait_for(browser, lambda d: len(Select(form.find_element(By.NAME, "route")).options) > 1)
    Select(form.find_element(By.NAME, "vendor")).select_by_value("uneeq")
    Select(form.find_element(By.NAME, "route")).select_by_value("uneeq:token")
    form.find_element(By.NAME, "status").send_keys("503")
    times = form.find_element(By.NAME, "times")
    times.clear()
    times.send_keys("2")
    button(browser, "Add fault").click()
    row = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#faults-rows tr"))
    [fault] = live.get("/_emulator/faults").json()["faults"]
    assert (fault["vendor"], fault["route"], fault["status"], fault["times_left"]) == (
        "uneeq",
        "uneeq:token",
        503,
        2,
    )
    assert "status 503" in row.text
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: by_id(d, "faults-none").is_displayed())
    assert live.get("/_emulator/faults").json() == {"faults": []}


def _serve_takes_an_admin_token() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "token_emulator", "serve", "--help"], capture_output=True, text=True
    )
    return "--admin-token" in result.stdout


def test_login_form_when_an_admin_token_is_set(browser: Any, tmp_path: Path) -> None:
    if not _serve_takes_an_admin_token():
        pytest.skip("this build has no admin token (serve --admin-token)")
    token = "dashboard-test-admin-token"
    with EmulatorProcess(
        tmp_path / "emulator.sqlite3", fixtures=FIXTURES, extra_args=("--admin-token", token)
    ) as server:
        browser.get(f"{server.url}/_emulator/")
        wait_for(browser, lambda d: by_id(d, "login").is_displayed())
        assert not by_id(browser, "dashboard").is_displayed()
        field = by_id(browser, "login").find_element("name", "token")
        field.send_keys(token)
        field.submit()
        wait_for(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"))
        wait_for(browser, lambda d: by_id(d, "clock-now").text.endswith(" UTC"))
        assert not by_id(browser, "login").is_displayed()
