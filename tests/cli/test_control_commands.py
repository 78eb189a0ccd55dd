"""`clock`, `fault`, `reset`, `state`: tables, `--json`, refusals and an unreachable emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli
from tests.conftest import FIXTURES
from tests.vendor_targets import UNKNOWN_VENDOR, VALID_VENDORS
from token_emulator.testing import EmulatorProcess
from token_emulator.testing.server import free_port, serve_command


def clock_of(url: str) -> dict[str, object]:
    reading: dict[str, object] = httpx.get(f"{url}/_emulator/clock").json()
    return reading


def test_clock_show_table_and_json(cli: Cli, url: str) -> None:
    shown = cli("clock", "--url", url)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert [line.split()[0] for line in lines] == ["now", "frozen", "offset"]
    assert lines[1] == "frozen  no"
    assert lines[2] == "offset  +0s (0 s from real time)"
    as_json = cli("clock", "show", "--json", "--url", url)
    assert set(json.loads(as_json.out)) == {"now", "frozen", "offset_seconds"}


def test_clock_advance_freeze_set_real(cli: Cli, url: str) -> None:
    advanced = cli("clock", "advance", "1h30m", "--url", url)
    assert advanced.code == 0, advanced.err
    assert advanced.out.splitlines()[2] == "offset  +1h30m (5400 s from real time)"
    assert round(float(clock_of(url)["offset_seconds"])) == 5400  # type: ignore[arg-type]
    back = cli("clock", "--url", url, "advance", "--", "-30m")
    assert back.code == 0, back.err
    assert back.out.splitlines()[2] == "offset  +1h (3600 s from real time)"
    frozen = cli("clock", "freeze", "--url", url)
    assert frozen.out.splitlines()[1] == "frozen  yes"
    assert clock_of(url)["frozen"] is True
    moved = cli("clock", "set", "2030-01-01T00:00:00Z", "--json", "--url", url)
    assert json.loads(moved.out)["now"] == "2030-01-01T00:00:00.000Z"
    assert clock_of(url)["now"] == "2030-01-01T00:00:00.000Z"
    real = cli("clock", "real", "--url", url)
    assert real.out.splitlines()[1:] == ["frozen  no", "offset  +0s (0 s from real time)"]


def test_clock_refusals(cli: Cli, url: str) -> None:
    refused = cli("clock", "set", "next tuesday", "--url", url)
    assert refused.code == 1
    assert (
        refused.err == "token-emulator: set: 'next tuesday' is not an ISO-8601 instant (HTTP 400)\n"
    )
    too_far = cli("clock", "set", "9999-01-01T00:00:00Z", "--url", url)
    assert too_far.code == 1
    assert "the clock stays between 1970-01-01 and 9000-01-01 (HTTP 400)" in too_far.err
    assert cli("clock", "advance", "--url", url).code == 2
    assert "clock freeze takes no value" in cli("clock", "freeze", "now", "--url", url).err


def test_fault_add_list_clear(cli: Cli, url: str) -> None:
    added = cli(
        "fault", "add", "--vendor", "uneeq", "--route", "token", "--status", "500",
        "--times", "2", "--url", url,
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out.splitlines() == [
        "ID  VENDOR  ROUTE        METHOD  PROBABILITY  TIMES LEFT  EFFECT",
        "1   uneeq   uneeq:token  any     1            2           status 500",
    ]
    slow = cli(
        "fault", "add", "--vendor", "web1on1", "--method", "get", "--delay-ms", "5", "--drop",
        "--probability", "0.5", "--seed", "7", "--json", "--url", url,
    )  # fmt: skip
    fault = json.loads(slow.out)["fault"]
    assert {k: fault[k] for k in ("id", "method", "delay_ms", "drop", "probability", "seed")} == {
        "id": 2, "method": "GET", "delay_ms": 5, "drop": True, "probability": 0.5, "seed": 7,
    }  # fmt: skip
    listed = cli("fault", "list", "--url", url)
    assert listed.out.splitlines() == [
        "ID  VENDOR   ROUTE        METHOD  PROBABILITY  TIMES LEFT  EFFECT",
        "1   uneeq    uneeq:token  any     1            2           status 500",
        "2   web1on1  any          GET     0.5          1           "
        "delay 5 ms, then drop the connection",
    ]
    as_json = json.loads(cli("fault", "list", "--json", "--url", url).out)
    assert [f["id"] for f in as_json["faults"]] == [1, 2]
    assert cli("fault", "clear", "1", "--url", url).out == "cleared fault 1\n"
    assert [f["id"] for f in httpx.get(f"{url}/_emulator/faults").json()["faults"]] == [2]
    assert json.loads(cli("fault", "clear", "2", "--json", "--url", url).out)["fault"]["id"] == 2
    assert cli("fault", "clear", "--url", url).out == "cleared every fault\n"
    assert json.loads(cli("fault", "clear", "--json", "--url", url).out) == {"faults": []}
    assert cli("fault", "list", "--url", url).out == "no active faults\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--vendor", "uneeq", "--route", "nope", "--status", "500"],
            "unknown route 'nope' for uneeq; valid: token, start-session, session-jwt (HTTP 400)",
        ),
        (
            ["--vendor", UNKNOWN_VENDOR, "--status", "500"],
            f"unknown vendor {UNKNOWN_VENDOR!r}; valid: {VALID_VENDORS} (HTTP 400)",
        ),
        (["--vendor", "uneeq"], "give status, drop or delay_ms (HTTP 400)"),
        (["--vendor", "uneeq", "--status", "999"], "status must be a whole number from 100 to 599"),
        (
            ["--vendor", "uneeq", "--status", "500", "--drop"],
            "status and drop exclude each other: a dropped connection has none (HTTP 400)",
        ),
        (["--vendor", "uneeq", "--status", "500", "--probability", "2"], "probability must be"),
    ],
)
def test_refused_fault_gives_the_control_planes_message(
    cli: Cli, url: str, argv: list[str], message: str
) -> None:
    ran = cli("fault", "add", *argv, "--url", url)
    assert ran.code == 1
    assert ran.out == ""
    assert ran.err.startswith(f"token-emulator: {message}")
    assert len(ran.err.splitlines()) == 1
    assert httpx.get(f"{url}/_emulator/faults").json() == {"faults": []}


def test_clear_unknown_fault(cli: Cli, url: str) -> None:
    ran = cli("fault", "clear", "42", "--url", url)
    assert (ran.code, ran.err) == (1, "token-emulator: no fault '42' (HTTP 404)\n")


def test_reset_and_state(cli: Cli, url: str) -> None:
    assert cli("token", "uneeq", "--url", url).code == 0
    cli("clock", "freeze", "--url", url)
    state = json.loads(cli("state", "uneeq", "--url", url).out)
    assert len(state["tokens"]) == 1
    assert state["workspaces"][0]["secret"].startswith("test…")
    reset = cli("reset", "--url", url)
    assert reset.code == 0
    assert reset.out.startswith("reset to the fixtures: real clock at ")
    assert json.loads(cli("state", "uneeq", "--url", url).out)["tokens"] == []
    assert clock_of(url)["frozen"] is False
    as_json = json.loads(cli("reset", "--json", "--url", url).out)
    assert as_json["status"] == "reset"
    unknown = cli("state", UNKNOWN_VENDOR, "--url", url)
    assert unknown.code == 2 and f"invalid choice: {UNKNOWN_VENDOR!r}" in unknown.err


@pytest.mark.parametrize(
    "argv",
    [
        ["clock"],
        ["clock", "advance", "15m"],
        ["fault", "list"],
        ["fault", "add", "--vendor", "uneeq", "--status", "500"],
        ["requests"],
        ["requests", "--follow", "--max-polls", "1"],
        ["reset"],
        ["state", "uneeq"],
        ["token", "uneeq"],
        ["token", "unifize"],
    ],
)
def test_unreachable_emulator_is_one_line_and_exit_2(cli: Cli, argv: list[str]) -> None:
    ran = cli(*argv, "--url", "http://127.0.0.1:9")
    assert ran.code == 2
    assert ran.out == ""
    assert ran.err.startswith("token-emulator: cannot reach the emulator at http://127.0.0.1:9: ")
    assert len(ran.err.splitlines()) == 1
    assert "Traceback" not in ran.err


def test_url_that_is_not_usable(cli: Cli) -> None:
    ran = cli("clock", "--url", "127.0.0.1:8080")
    assert ran.code == 2
    assert ran.err.startswith("token-emulator: 127.0.0.1:8080 is not a usable emulator URL")


def test_url_that_is_not_the_emulator(cli: Cli, url: str) -> None:
    ran = cli("clock", "--url", f"{url}/uneeq")
    assert ran.code == 1
    assert ran.err.startswith(f"token-emulator: HTTP 404 from {url}/uneeq/_emulator/clock: ")


def test_url_from_the_environment(cli: Cli, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMULATOR_URL", url + "/")
    assert cli("clock", "freeze").code == 0
    assert clock_of(url)["frozen"] is True


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    directory = tmp_path_factory.mktemp("guarded-cli")
    process = EmulatorProcess(
        directory / "db.sqlite3", fixtures=FIXTURES, extra_args=("--admin-token", "qa-admin")
    )
    with process:
        yield process


def test_admin_token(cli: Cli, guarded: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = cli("fault", "list", "--url", guarded.url)
    assert refused.code == 1
    assert refused.err == (
        "token-emulator: admin token required (give --admin-token or set "
        "EMULATOR_ADMIN_TOKEN) (HTTP 401)\n"
    )
    wrong = cli("clock", "--url", guarded.url, "--admin-token", "nope")
    assert wrong.code == 1
    assert (
        cli("clock", "advance", "2h", "--url", guarded.url, "--admin-token", "qa-admin").code == 0
    )
    monkeypatch.setenv("EMULATOR_ADMIN_TOKEN", "qa-admin")
    monkeypatch.setenv("EMULATOR_URL", guarded.url)
    # The flow reads the moved clock with the token; the vendor call keeps its own Bearer.
    token = cli("token", "unifize")
    assert token.code == 0, token.err
    chatrooms = httpx.get(
        f"{guarded.url}/unifize/chatroom", headers={"authorization": f"Bearer {token.out.strip()}"}
    )
    assert chatrooms.status_code == 200
    assert cli("reset").code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["clock", "advance", "-5m", "--url", "{url}"],
        ["--url", "{url}", "clock", "advance", "-5m"],
        ["clock", "--url", "{url}", "advance", "-5m", "--json"],
        ["clock", "--url", "{url}", "advance", "--", "-5m"],
        ["--url", "{url}", "clock", "advance", "--", "-5m"],
    ],
)
def test_a_negative_duration_as_written(cli: Cli, url: str, argv: list[str]) -> None:
    ran = cli(*(word.format(url=url) for word in argv))
    assert ran.code == 0, ran.err
    assert round(float(clock_of(url)["offset_seconds"])) == -300  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "{url}", "fault", "list"],
        ["--url={url}", "--json", "fault", "list"],
        ["fault", "--url", "{url}", "list"],
        ["fault", "list", "--url", "{url}"],
        ["--timeout", "5", "--url", "{url}", "clock"],
        ["--json", "reset", "--url", "{url}"],
    ],
)
def test_global_options_before_or_after_the_command(cli: Cli, url: str, argv: list[str]) -> None:
    ran = cli(*(word.format(url=url) for word in argv))
    assert ran.code == 0, ran.err


def test_an_option_a_command_does_not_take_is_named(cli: Cli) -> None:
    ran = cli("--url", "http://127.0.0.1:1", "mint", "uneeq")
    assert ran.code == 2
    assert "unrecognized arguments: --url http://127.0.0.1:1" in ran.err


def test_clock_set_freeze_lands_exactly(cli: Cli, url: str) -> None:
    ran = cli("clock", "set", "2031-05-06T07:08:09.5Z", "--freeze", "--url", url)
    assert ran.code == 0, ran.err
    reading = clock_of(url)
    assert reading["now"] == "2031-05-06T07:08:09.500Z" and reading["frozen"] is True
    refused = cli("clock", "advance", "1m", "--freeze", "--url", url)
    assert refused.code == 2 and "--freeze goes with clock set" in refused.err
    assert "keeps it running" in cli("clock", "--help").out


def test_wait_returns_once_healthy(cli: Cli, url: str) -> None:
    ran = cli("wait", "--url", url, "--timeout", "5")
    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"ready at {url} (version ")
    as_json = cli("--json", "wait", "--url", url)
    assert json.loads(as_json.out)["status"] == "ready"


def test_wait_gives_up_after_its_timeout(cli: Cli) -> None:
    ran = cli("wait", "--url", "http://127.0.0.1:9", "--timeout", "0.5")
    assert ran.code == 2
    assert ran.err.startswith("token-emulator: not healthy within 0.5 s: cannot reach ")
    assert len(ran.err.strip().splitlines()) == 1


def test_wait_for_a_server_that_is_still_starting(cli: Cli, tmp_path: Path) -> None:
    """`serve &` then `wait`: wait returns once the server is up, not before."""
    port = free_port()
    command = serve_command(port=port, database=str(tmp_path / "db.sqlite3"), fixtures=FIXTURES)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ran = cli("wait", "--url", f"http://127.0.0.1:{port}", "--timeout", "60")
        assert ran.code == 0, ran.err
        assert httpx.get(f"http://127.0.0.1:{port}/_emulator/health").status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_an_option_between_set_and_its_instant(cli: Cli, url: str) -> None:
    ran = cli("clock", "set", "--freeze", "2031-05-06T07:08:09Z", "--url", url)
    assert ran.code == 0, ran.err
    assert clock_of(url)["now"] == "2031-05-06T07:08:09.000Z"


def test_an_option_written_after_the_command_wins(cli: Cli, url: str) -> None:
    ran = cli("--url", "http://127.0.0.1:9", "clock", "--url", url)
    assert ran.code == 0, ran.err
