"""What every vendor must have, held for every registered vendor and for an example vendor
the test serves beside them (tests/example_vendor, through EMULATOR_VENDOR_PACKAGES):

- its fixtures load, and `check` validates them (and refuses a broken file);
- its client flow, in-process, returns a token;
- every route is in the OpenAPI document, takes a forced fault answered in the
  vendor's own body, shows in the journal with a reason when refused, and is fuzzed;
- reset forgets what the flow made, and its state is JSON;
- the dashboard (in Chromium), the QA `token` command and the client's flow helper
  (TokenEmulator.token, what the pytest plugin's `token_emulator` fixture is) work.

A new vendor is in every case here without a line of this file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.python import asgi

from tests.browser import chromium
from tests.conftest import in_process, make_settings
from tests.security.fixture_dirs import fixtures_without_rate_limit
from tests.security.fuzzing import send_and_validate
from token_emulator.app import create_app
from token_emulator.cli import main as cli_main
from token_emulator.client import AsyncTokenEmulator, TokenEmulator
from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.vendor import NamedRoute, Vendor
from token_emulator.testing import EmulatorProcess, vendor_token
from token_emulator.vendors import EXTRA_PACKAGES_ENV, all_clients, all_vendors, client_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PACKAGE = "tests.example_vendor"
EXAMPLE_DIR = ROOT / "tests" / "example_vendor"
# The registered vendors, and the example: parametrized by id, found by it at run time.
VENDOR_IDS = [*(client.id for client in all_clients()), "example"]
FUZZ_EXAMPLES = 5  # random cases per operation; the fuzzing suite runs the full budget

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module", autouse=True)
def example_registered() -> Iterator[None]:
    """The example vendor is served beside the registered ones, in this process and in
    every process the tests start (they inherit the environment)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(EXTRA_PACKAGES_ENV, EXAMPLE_PACKAGE)
        # The processes started import the example from this checkout.
        patch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        )
        yield


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default fixtures (web1on1's rate limit off: the checks send many requests a
    second) with the example vendor's file beside them."""
    directory = fixtures_without_rate_limit(tmp_path_factory.mktemp("contract"))
    shutil.copy(EXAMPLE_DIR / "example.toml", directory / "example.toml")
    return directory


def vendor_of(vendor_id: str) -> Vendor:
    return next(vendor for vendor in all_vendors() if vendor.id == vendor_id)


def concrete(path: str) -> str:
    """A route's path with each parameter filled (a fault acts once the route matched)."""
    return re.sub(r"\{[^}]+\}", "x", path)


def route_methods(vendor: Vendor) -> list[tuple[NamedRoute, str]]:
    return [(route, method) for route in vendor.routes() for method in route.methods]


def rendered_shape(response: httpx.Response, rendered: Any) -> None:
    """The answer is the renderer's: its content type, and for JSON its keys and the
    values that do not change from one render to the next."""
    assert response.headers["content-type"] == rendered.headers["content-type"]
    if "json" in rendered.headers["content-type"]:
        assert set(response.json()) == set(json.loads(bytes(rendered.body)))


@pytest.fixture(scope="module")
def server(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    directory = tmp_path_factory.mktemp("contract-server")
    process = EmulatorProcess(
        directory / "contract.sqlite3", fixtures=fixtures, log_path=directory / "server.log"
    )
    with process:
        yield process


@pytest.fixture
def live(server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/_emulator/reset").raise_for_status()
        yield http


# --- fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_fixtures_load_and_check_validates_them(
    vendor_id: str, fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = client_of(vendor_id)
    loaded = client.fixtures(fixtures)
    assert any(getattr(loaded, name) for name in type(loaded).model_fields), "no entries"
    assert cli_main(["check", "--fixtures", str(fixtures)]) == 0

    broken = tmp_path / "broken"
    shutil.copytree(fixtures, broken)
    file = broken / client.fixture_file
    file.write_text("not_a_setting_of_this_vendor = 1\n" + file.read_text())
    capsys.readouterr()
    assert cli_main(["check", "--fixtures", str(broken)]) == 1
    assert f"{client.fixture_file}: field 'not_a_setting_of_this_vendor'" in capsys.readouterr().err


# --- in-process flow ----------------------------------------------------------------------


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
async def test_the_in_process_flow_returns_a_token(
    vendor_id: str, fixtures: Path, tmp_path: Path
) -> None:
    async for client in in_process(make_settings(tmp_path, fixtures_dir=fixtures)):
        token = await vendor_token(client, vendor_id, fixtures=fixtures)
        assert isinstance(token, str) and token


# --- every route --------------------------------------------------------------------------


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_every_route_is_in_the_openapi_document_under_the_vendors_tag(
    vendor_id: str, live: httpx.Client
) -> None:
    document = live.get("/_emulator/openapi.json").json()
    described = {
        (operation["x-route-name"], method.upper())
        for item in document["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "x-route-name" in operation
        and vendor_id in operation.get("tags", [])
    }
    wanted = {(route.name, method) for route, method in route_methods(vendor_of(vendor_id))}
    assert wanted and wanted <= described


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_every_route_takes_a_forced_fault_in_the_vendors_body(
    vendor_id: str, live: httpx.Client
) -> None:
    vendor = vendor_of(vendor_id)
    renders = {
        endpoint.name: endpoint.render or vendor.render_error for endpoint in vendor.endpoints
    }
    for route, method in route_methods(vendor):
        fault = {"vendor": vendor_id, "route": route.short, "method": method, "status": 503}
        armed = live.post("/_emulator/faults", json=fault)
        assert armed.status_code == 201, armed.text
        answer = live.request(method, concrete(route.path))
        assert answer.status_code == 503, (route.name, method, answer.text)
        forced = f"status 503 forced by fault #{armed.json()['fault']['id']}"
        assert answer.headers[REASON_HEADER] == forced
        rendered_shape(answer, renders[route.name](503, "Service Unavailable", 0.0))


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_every_route_shows_in_the_journal_with_a_reason_when_refused(
    vendor_id: str, live: httpx.Client, fixtures: Path
) -> None:
    """A bare request (no credentials, no body) to each route: the journal names the
    route, and a refusal carries its reason, the same as the answer's header. The token
    route refuses one."""
    token_call = client_of(vendor_id).token_call
    assert token_call is not None
    token_path = token_call(fixtures=fixtures).path
    for route, method in route_methods(vendor_of(vendor_id)):
        path = concrete(route.path)
        answer = live.request(method, path)
        entry = live.get("/_emulator/requests", params={"limit": 1}).json()["requests"][0]
        assert (entry["route"], entry["method"], entry["status"]) == (
            route.name,
            method,
            answer.status_code,
        )
        if answer.status_code >= 400:
            assert entry["reason"], (route.name, method)
            assert answer.headers[REASON_HEADER] == entry["reason"].replace("\n", " ")
        if path == token_path and method == "POST":
            assert answer.status_code >= 400


@pytest.fixture(scope="module")
def openapi_schema(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = make_settings(tmp_path_factory.mktemp("contract-fuzz"), fixtures_dir=fixtures)
    app = create_app(settings)
    with asgi.get_client(app):
        config = schemathesis.Config.from_dict(
            {"seed": 20240501, "generation": {"deterministic": True}}
        )
        yield schemathesis.openapi.from_asgi("/_emulator/openapi.json", app, config=config)
    asgi.shutdown_lifespans()


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_every_route_is_fuzzed(vendor_id: str, openapi_schema: Any) -> None:
    """Each of the vendor's operations (its tag) takes generated cases, each answered as
    documented (tests/security/fuzzing.py); without credentials, mostly its refusals:
    the fuzzing suite plants known-good values for the registered vendors."""
    operations = [
        result.ok() for result in openapi_schema.include(tag=[vendor_id]).get_all_operations()
    ]
    names = {operation.definition.raw["x-route-name"] for operation in operations}
    assert names == {route.name for route in vendor_of(vendor_id).routes()}
    for operation in operations:
        sent: list[str] = []

        @hypothesis_settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            sent.append(case.operation.label)  # noqa: B023 - run before the loop moves on
            send_and_validate(case)

        fuzz()
        assert sent, operation.label


# --- state --------------------------------------------------------------------------------


def state_of(live: httpx.Client, vendor_id: str) -> dict[str, Any]:
    answer = live.get(f"/_emulator/state/{vendor_id}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    found: dict[str, Any] = answer.json()
    assert found.pop("vendor") == vendor_id
    found.pop("now")
    return found


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_reset_forgets_what_the_flow_made_and_state_is_json(
    vendor_id: str, live: httpx.Client, fixtures: Path
) -> None:
    before = state_of(live, vendor_id)
    vendor_token(live, vendor_id, fixtures=fixtures)
    assert state_of(live, vendor_id) != before, "the flow left no trace in the state"
    live.post("/_emulator/reset").raise_for_status()
    assert state_of(live, vendor_id) == before


# --- what users drive it with ---------------------------------------------------------------


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_the_qa_token_command_prints_its_token(
    vendor_id: str, server: EmulatorProcess, live: httpx.Client, fixtures: Path
) -> None:
    command = [sys.executable, "-m", "token_emulator", "token", vendor_id]
    options = ["--url", server.url, "--fixtures", str(fixtures)]
    printed = subprocess.run(
        [*command, *options, "--json"], capture_output=True, text=True, timeout=60
    )
    assert printed.returncode == 0, printed.stderr
    answer = json.loads(printed.stdout)
    token = answer[client_of(vendor_id).token_field]
    plain = subprocess.run([*command, *options], capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() and plain.stdout.strip() != token  # a second, fresh token


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
async def test_the_clients_flow_helper_returns_a_token(
    vendor_id: str, server: EmulatorProcess, live: httpx.Client, fixtures: Path
) -> None:
    """TokenEmulator is the pytest plugin's `token_emulator` fixture; its async twin too."""
    with TokenEmulator(server.url) as emulator:
        assert emulator.token(vendor_id, fixtures=fixtures)
        answer = emulator.answer(vendor_id, fixtures=fixtures)
        assert answer[client_of(vendor_id).token_field]
    async with AsyncTokenEmulator(server.url) as handle:
        assert await handle.token(vendor_id, fixtures=fixtures)


OPEN_EVERY_STATE = "document.querySelectorAll('.vendor details.state').forEach(d => d.open = true)"
EVERY_STATE_SHOWN = (
    "return [...document.querySelectorAll('.vendor .state-json')].every(p => p.textContent.trim())"
)


@pytest.fixture(scope="module")
def dashboard_cards(server: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """Each vendor's card as the dashboard shows it in Chromium, state opened."""
    with chromium() as browser:
        browser.get(f"{server.url}/_emulator/")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 15).until(
            lambda d: d.find_element("tag name", "body").get_attribute("data-ready")
        )
        # Opening a card's state asks for it (its `toggle` handler).
        browser.execute_script(OPEN_EVERY_STATE)
        WebDriverWait(browser, 15).until(lambda d: d.execute_script(EVERY_STATE_SHOWN))
        cards: dict[str, dict[str, Any]] = browser.execute_script(
            """const cards = {};
               for (const card of document.querySelectorAll('[data-vendor]')) {
                 cards[card.dataset.vendor] = {
                   title: card.querySelector('.vendor-title').textContent,
                   url: card.querySelector('.vendor-url').textContent,
                   credentials: card.querySelectorAll('.credentials tbody tr').length,
                   state: card.querySelector('.state-json').textContent,
                 };
               }
               const faultVendors = [...document.querySelectorAll(
                 '#fault-form select[name=vendor] option')].map(o => o.value);
               cards['(fault form)'] = {vendors: faultVendors};
               return cards;"""
        )
    return cards


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_the_dashboard_shows_its_card_credentials_and_state(
    vendor_id: str, dashboard_cards: dict[str, dict[str, Any]], server: EmulatorProcess
) -> None:
    card = dashboard_cards[vendor_id]
    assert card["title"] == client_of(vendor_id).title
    assert card["url"] == f"{server.url}/{vendor_id}"
    assert card["credentials"] >= 1
    assert vendor_id in card["state"]
    assert vendor_id in dashboard_cards["(fault form)"]["vendors"]
