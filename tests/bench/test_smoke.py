"""bench/run --quick: every benchmark runs a handful of iterations and yields its figures.

No timing is asserted (the machine is shared; bench/RESULTS.md holds the figures);
what is asserted is that each section ran, every request got the vendor's success
status, and the redemptions were exactly-once on a WAL database.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from bench import instructions
from bench.load import each_once_script, ensure_wrk
from bench.main import main
from bench.workloads import HttpRequest, redeeming, redemption_of, token_requests, vendor_ids
from token_emulator.settings import default_fixtures_dir


def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    # The Python load generator and no node: the smoke test needs neither wrk nor npm.
    code = main(["--quick", "--no-node", "--python-load", "--output", str(tmp_path)])
    results = json.loads((tmp_path / "results.json").read_text())
    assert (code, results["failed"]) == (0, {})

    assert set(results["startup"]) == {"emulator", "bare_starlette"}
    assert all(figures["n"] == 1 for figures in results["startup"].values())
    assert {path: figures["n"] for path, figures in results["reset"].items()} == {
        "http": 3,
        "in_process": 3,
    }
    assert {flow: figures["n"] for flow, figures in results["inprocess"].items()} == {
        "floor_bare_starlette": 3,
        **dict.fromkeys(vendor_ids(), 3),
    }

    block = results["throughput"]["by_processes"]["1"]
    assert set(block) == {"bare_starlette_before", *vendor_ids(), "bare_starlette_after"}
    for target, run in block.items():
        assert run["clean"], (target, run)
        assert run["statuses"] == {str(run["expected_status"]): run["requests"]}
    # Each vendor's success status is its client's (web1on1's login answers 201).
    for vendor, request in token_requests(default_fixtures_dir()).items():
        assert block[vendor]["expected_status"] == request.expect

    redemptions = results["redemptions"]
    redemption = redemption_of(redeeming())
    refused = str(redemption.refused_status)
    stored = {"section": redemption.stored_in, "entries": 13, "one_entry_per_token": True}
    assert redemptions["vendor"] == redeeming().id
    for where in (redemptions["in_process"], redemptions["http"]["1"]):
        assert where["first_pass"] == {"200": 10}
        assert where["second_pass"] == {refused: 10}
        assert where["each_token_once"] and where["second_pass_all_refused"]
        assert where["race"]["statuses"] == {"200": 3, refused: 3}
        assert where["race"]["one_success_per_token"]
        assert where["store"] == stored
        assert where["journal_mode"] == "wal"
    # Durable writes: the store's connection does not turn syncing off.
    assert redemptions["in_process"]["synchronous"] in {"NORMAL", "FULL", "EXTRA"}

    text = (tmp_path / "RESULTS.md").read_text()
    for title in ("## Targets", "## 1. Start", "## 2. Reset", "## 3. In-process", "## 4. HTTP"):
        assert title in text
    assert "## 5. Single-use redemptions per second" in text
    assert "oauth2-mock-server not measured" in text


def test_quick_run_with_wrk_sends_each_token_once(tmp_path: Path) -> None:
    """With wrk the load runs and the redemptions' timed pass use it: that pass sends
    each token once (a Lua script holding the list) and times it by the script's clock."""
    wrk, why = ensure_wrk()
    if wrk is None:
        # CI installs wrk (.ci/run): there a missing one is a failure.
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so the wrk test must run, but {why}")
        pytest.skip(why)
    only = "throughput,redemptions"
    code = main(["--quick", "--no-node", "--only", only, "--output", str(tmp_path)])
    results = json.loads((tmp_path / "results.json").read_text())
    assert (code, results["failed"]) == (0, {})
    for target, run in results["throughput"]["by_processes"]["1"].items():
        assert run["clean"] and run["generator"].startswith("wrk"), (target, run)

    http = results["redemptions"]["http"]["1"]
    assert "each request once" in http["generator"]
    # Each of the 10 tokens answered 200 once, and made one entry: none was sent
    # twice (a second sending is refused) and none left out.
    assert http["first_pass"] == {"200": 10}
    assert http["each_token_once"] and http["second_pass_all_refused"]
    assert http["store"]["entries"] == 13 and http["store"]["one_entry_per_token"]
    assert 0 < http["seconds"] < 10 and http["per_second"] == 10 / http["seconds"]
    ceiling = results["redemptions"]["http_generator_ceiling"]
    assert ceiling["clean"] and ceiling["requests"] == 10


def test_a_list_for_wrk_differs_by_bodies_alone() -> None:
    token = HttpRequest("POST", "/a", (("Content-Type", "application/json"),), b"{}")
    other = HttpRequest("POST", "/b", token.headers, b"{}")
    with pytest.raises(ValueError, match="by its body alone"):
        each_once_script([token, other], "/health", "ready")


@pytest.mark.parametrize("kind", [*vendor_ids(), "redeem"])
def test_the_instruction_count_workload_runs_without_valgrind(kind: str) -> None:
    """What `python -m bench.instructions` runs under callgrind, run plainly: every
    request answered with its success status (asserted inside the workload)."""
    asyncio.run(instructions.workload(kind, 5))
