"""bench/RESULTS.md from the figures: the machine, every figure, each target met or not."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.workloads import redeeming, vendor_ids

STARTUP_TARGET_MS = 500
RESET_TARGET_MS = 5
REDEEMING_FLOW_TARGET_MS = 1  # the redeeming vendor's token + redemption, in-process
BARE_SHARE_TARGET = 0.5
OAUTH2_MOCK_MULTIPLE_TARGET = 1.5
REDEMPTIONS_TARGET = 5000


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    met: bool | None  # None: no figure to judge (not run, or a run with errors)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def mark(met: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "no figure"}[met]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# --- ratios used by both the verdicts and the tables ----------------------------------


def bare_rate(block: dict[str, Any]) -> float | None:
    """The bare endpoint's rate in a block: the mean of the runs before and after the vendors."""
    runs = [block.get("bare_starlette_before"), block.get("bare_starlette_after")]
    rates = [run["requests_per_second"] for run in runs if run and run.get("clean")]
    return statistics.fmean(rates) if rates else None


def clean_rate(run: dict[str, Any] | None) -> float | None:
    return run["requests_per_second"] if run and run.get("clean") else None


def share(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


# --- verdicts ------------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> list[Verdict]:
    found: list[Verdict] = []
    startup = results.get("startup")
    if startup:
        emulator = startup["emulator"]["median_ms"]
        found.append(
            Verdict(
                f"Start to healthy ≤ {STARTUP_TARGET_MS / 1000} s (median of "
                f"{startup['emulator']['n']})",
                f"{_ms(emulator)} ms",
                emulator <= STARTUP_TARGET_MS,
            )
        )
        peer = startup.get("oauth2_mock_npx")
        found.append(
            Verdict(
                "Start to healthy below oauth2-mock-server's (npx)",
                f"{_ms(emulator)} ms vs {_ms(peer['median_ms'])} ms" if peer else "not run",
                emulator < peer["median_ms"] if peer else None,
            )
        )
    reset = results.get("reset")
    if reset:
        median = reset["http"]["median_ms"]
        found.append(
            Verdict(
                f"Reset ≤ {RESET_TARGET_MS} ms median (over HTTP)",
                f"{_ms(median)} ms (in-process {_ms(reset['in_process']['median_ms'])} ms)",
                median <= RESET_TARGET_MS,
            )
        )
    flows = results.get("inprocess")
    if flows:
        vendor = redeeming()
        median = flows[vendor.id]["median_ms"]
        found.append(
            Verdict(
                f"In-process {vendor.title} token + redeem ≤ {REDEEMING_FLOW_TARGET_MS} ms median",
                f"{_ms(median)} ms",
                median <= REDEEMING_FLOW_TARGET_MS,
            )
        )
    found += _throughput_verdicts(results.get("throughput"))
    found += _redemption_verdicts(results.get("redemptions"))
    found += _cli_verdicts(results.get("cli"))
    return found


def _cli_verdicts(cli: dict[str, Any] | None) -> list[Verdict]:
    """On the fresh install when there is one: what a user's `pip install` gives."""
    if not cli:
        return []
    name = "fresh" if "fresh" in cli["installs"] else next(iter(cli["installs"]))
    own = cli["installs"][name]["own_ms"]
    worst = max(own.values())
    figure = ", ".join(f"{command} +{_ms(ms)} ms" for command, ms in own.items())
    return [
        Verdict(
            f"Command line's own cost ≤ {cli['target_ms']} ms ({name} install, median)",
            figure,
            worst <= cli["target_ms"],
        )
    ]


def _all_vendors(
    block: dict[str, Any], reference: float | None, needed: float
) -> tuple[str, bool | None]:
    shares = {vendor: share(clean_rate(block.get(vendor)), reference) for vendor in vendor_ids()}
    figure = ", ".join(f"{vendor} {_ratio(value)}" for vendor, value in shares.items())
    if reference is None or any(value is None for value in shares.values()):
        return figure, None
    return figure, all(value is not None and value >= needed for value in shares.values())


def _throughput_verdicts(throughput: dict[str, Any] | None) -> list[Verdict]:
    if not throughput:
        return []
    found = []
    mock = clean_rate(throughput.get("oauth2_mock"))
    for processes, block in throughput["by_processes"].items():
        figure, met = _all_vendors(block, bare_rate(block), BARE_SHARE_TARGET)
        found.append(
            Verdict(
                f"Token endpoint throughput ≥ {BARE_SHARE_TARGET:.0%} of bare Starlette, "
                f"{processes} process(es), every vendor",
                figure,
                met,
            )
        )
        figure, met = _all_vendors(block, mock, OAUTH2_MOCK_MULTIPLE_TARGET)
        found.append(
            Verdict(
                f"Token endpoint throughput ≥ {OAUTH2_MOCK_MULTIPLE_TARGET} x oauth2-mock-server's "
                f"(one node process), emulator with {processes} process(es), every vendor",
                figure if mock is not None else "oauth2-mock-server not measured",
                met,
            )
        )
    return found


def _exactly_once(figures: dict[str, Any]) -> bool:
    return bool(
        figures["each_token_once"]
        and figures["second_pass_all_refused"]
        and figures["race"]["one_success_per_token"]
        and figures["store"]["one_entry_per_token"]
    )


def _redemption_verdicts(redemptions: dict[str, Any] | None) -> list[Verdict]:
    if not redemptions:
        return []
    found = []
    runs = [("in-process", redemptions["in_process"])]
    runs += [(f"HTTP, {n} process(es)", run) for n, run in redemptions["http"].items()]
    for label, run in runs:
        once = _exactly_once(run)
        wal = run["journal_mode"] == "wal"
        complete = run.get("complete", True)
        figure = (
            f"{_rate(run['per_second'])}/s; exactly-once {'held' if once else 'BROKEN'}; "
            f"journal_mode {run['journal_mode']}"
        )
        if not complete:
            figure = f"no figure: the first pass did not finish ({'; '.join(run['notes'])})"
        met = run["per_second"] >= REDEMPTIONS_TARGET and once and wal and complete
        found.append(
            Verdict(
                f"≥ {REDEMPTIONS_TARGET:,} single-use redemptions/s, WAL, exactly-once ({label})",
                figure,
                met,
            )
        )
    return found


# --- the document -----------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run` on {machine['date']} from git {machine['git_commit']}, "
        f"in {results['seconds']:.0f} s. Do not edit: run `bench/run` again "
        "(bench/README.md). The raw figures are in `bench/results.json`.",
        "",
    ]
    lines += _shared_machine(results)
    lines += _machine_table(results)
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "figure", "verdict"],
        [[v.target, v.figure, mark(v.met)] for v in verdicts(results)],
    )
    lines.append("")
    for section, render_section in SECTIONS:
        failure = results.get("failed", {}).get(section)
        if section in results:
            lines += render_section(results[section], results)
        elif failure:
            lines += [f"## {TITLES[section]}", "", f"Failed in this run: `{failure}`.", ""]
        else:
            lines += [f"## {TITLES[section]}", "", "Not run in this run.", ""]
    lines += _notes(results)
    return "\n".join(lines).rstrip() + "\n"


def _shared_machine(results: dict[str, Any]) -> list[str]:
    start, end = results["machine"]["load_at_start"], results["load_at_end"]
    return [
        "**A shared machine.** This machine's "
        f"{results['machine']['cores']} cores were shared with other sessions working "
        f"at the same time: the 1-minute load average was {start['1min']} at the start "
        f"and {end['1min']} at the end (5-minute: {start['5min']} and {end['5min']}). "
        "Wall-clock figures (latencies, requests per second) are therefore what this "
        "moment allowed, lower than an idle machine gives; the CPU-time columns "
        "(CPU per flow, per request) are what other sessions' load moves least. The load "
        "generator runs on the same cores as the server it loads.",
        "",
    ]


def _machine_table(results: dict[str, Any]) -> list[str]:
    machine = results["machine"]
    packages = machine["packages"]
    resolved = machine["uvicorn_resolved"]
    options = machine["serve_uvicorn_options"]
    rows = [
        ["CPU", f"{machine['cpu']}, {machine['cores']} cores"],
        ["memory", f"{machine['memory_gib']} GiB"],
        ["OS", f"{machine['os']}, Linux {machine['kernel']}"],
        ["Python", machine["python"]],
        [
            "packages",
            ", ".join(f"{name} {version}" for name, version in packages.items() if version),
        ],
        [
            "uvicorn as `serve` runs it",
            f"loop {resolved['loop']}, http {resolved['http']} (uvicorn's auto choices), "
            + ", ".join(f"{name} {value}" for name, value in options.items()),
        ],
        ["node", f"{machine['node'] or 'not installed'} (npm {machine['npm'] or '-'})"],
        ["oauth2-mock-server", machine["oauth2_mock_server"] or "not installed"],
        ["load generator", results.get("load_generator", "-")],
    ]
    return ["## Machine", "", *_table(["what", "this run"], rows), ""]


def _startup(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    rows = [
        [
            name,
            _ms(figures["median_ms"]),
            _ms(figures["min_ms"]),
            _ms(figures["max_ms"]),
            str(figures["n"]),
            figures["how"],
        ]
        for name, figures in section.items()
    ]
    return [
        f"## {TITLES['startup']}",
        "",
        "From `Popen` to the first 200 on the health path (polled every 2 ms over a raw "
        "socket). The kinds take turns in each round; one untimed start of each first.",
        "",
        *_table(["server", "median ms", "min ms", "max ms", "n", "how"], rows),
        "",
    ]


def _reset(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    rows = [
        [
            name,
            _ms(f["median_ms"]),
            _ms(f["p99_ms"]),
            _ms(f["mean_ms"]),
            _ms(f["max_ms"]),
            str(f["n"]),
            f["how"],
        ]
        for name, f in section.items()
    ]
    return [
        f"## {TITLES['reset']}",
        "",
        f"Default fixtures; an untimed {redeeming().title} token request before each timed "
        "reset; "
        "10 untimed resets first.",
        "",
        *_table(["path", "median ms", "p99 ms", "mean ms", "max ms", "n", "how"], rows),
        "",
    ]


def _inprocess(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    rows = [
        [
            name,
            _ms(f["median_ms"]),
            _ms(f["p99_ms"]),
            _ms(f["mean_ms"]),
            _ms(f["cpu_ms_per_flow"]),
            str(f["n"]),
            f["how"],
        ]
        for name, f in section.items()
    ]
    return [
        f"## {TITLES['inprocess']}",
        "",
        "One flow at a time through the ASGI app (bench/asgi.py: no sockets, no HTTP "
        "client, the lifespan started once), after 20 untimed flows. Client-side signing "
        "is done beforehand. `floor_bare_starlette` is the same caller against the bare "
        "reference app's JSON endpoint: the caller's and Starlette's own cost. CPU per "
        "flow is the process's CPU time (all threads) over the timed flows.",
        "",
        *_table(
            ["flow", "median ms", "p99 ms", "mean ms", "CPU ms/flow", "n", "steps"],
            rows,
        ),
        "",
    ]


def _throughput(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    mock = section.get("oauth2_mock")
    mock_rate = clean_rate(mock)
    lines = [
        f"## {TITLES['throughput']}",
        "",
        "Each target: one request checked by hand, an untimed warm-up, then the measured "
        "run; all answers counted by status. A run with any unexpected status or socket "
        "error gives no figure (its rate is struck). Ratios: to the mean of the two bare "
        "Starlette runs of the same block, and to oauth2-mock-server's one node process. "
        "Server CPU is the server's process group's CPU time over the run (/proc).",
        "",
    ]
    header = [
        "target",
        "req/s",
        "x bare",
        "x oauth2-mock",
        "p50 ms",
        "p99 ms",
        "answers",
        "socket errors",
        "server CPU ms/req",
    ]
    for processes, block in section["by_processes"].items():
        reference = bare_rate(block)
        rows = []
        for name, run in block.items():
            rows.append(_throughput_row(name, run, reference, mock_rate))
        lines += [f"### {processes} server process(es)", "", *_table(header, rows), ""]
    if mock:
        lines += [
            "### oauth2-mock-server (one node process)",
            "",
            *_table(header, [_throughput_row("POST /token client_credentials", mock, None, None)]),
            "",
        ]
    lines += ["Routes: " + "; ".join(f"{v}: {r}" for v, r in section["routes"].items()), ""]
    return lines


def _throughput_row(
    name: str, run: dict[str, Any], reference: float | None, mock: float | None
) -> list[str]:
    if "refused" in run:
        return [name, "refused", "-", "-", "-", "-", run["refused"], "-", "-"]
    rate = clean_rate(run)
    shown = (
        _rate(run["requests_per_second"])
        if rate is not None
        else (f"~~{_rate(run['requests_per_second'])}~~")
    )
    is_vendor = name in vendor_ids()
    answers = ", ".join(f"{status}: {n}" for status, n in run["statuses"].items())
    return [
        name,
        shown,
        _ratio(share(rate, reference)) if is_vendor else "-",
        _ratio(share(rate, mock)) if is_vendor else "-",
        _ms(run["latency_ms"].get("p50")),
        _ms(run["latency_ms"].get("p99")),
        answers or "none",
        str(run["socket_errors"]),
        _ms(run.get("server_cpu_ms_per_request")),
    ]


def _counts(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status}: {n}" for status, n in statuses.items())


def _redemptions(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    header = [
        "where",
        "redemptions",
        "per second",
        "CPU ms/redemption",
        "1st pass",
        "2nd pass",
        "race (2 per token)",
        "entries stored",
        "journal_mode",
    ]

    def row(label: str, run: dict[str, Any], cpu: float | None) -> list[str]:
        passes = [_counts(run["first_pass"]), _counts(run["second_pass"])]
        race = run["race"]
        race_text = _counts(race["statuses"])
        race_text += " (one 200 per token)" if race["one_success_per_token"] else " (BROKEN)"
        store = run["store"]
        stored = str(store["entries"])
        stored += " (one per token)" if store["one_entry_per_token"] else " (BROKEN)"
        return [
            label,
            str(run["redemptions"]),
            _rate(run["per_second"]),
            _ms(cpu),
            passes[0],
            passes[1],
            race_text,
            stored,
            run["journal_mode"],
        ]

    in_process = section["in_process"]
    rows = [row("in-process", in_process, in_process["cpu_ms_per_redemption"])]
    for processes, run in section["http"].items():
        rows.append(row(f"HTTP, {processes} process(es)", run, run["server_cpu_ms_per_redemption"]))
    ceiling = section["http_generator_ceiling"]
    generator = ceiling.get("generator", "bench/load.py")
    floor = section["in_process_floor"]
    return [
        f"## {TITLES['redemptions']}",
        "",
        f"Single-use thing: {section['single_use_thing']}. Tokens minted first (untimed), "
        "then all redeemed, 32 at a time (32 concurrent callers in-process, 32 connections "
        "over HTTP: "
        f"{next(iter(section['http'].values()), {}).get('generator', 'bench/load.py')}); "
        "then all again (every one must be refused); then a race: more tokens, "
        "each sent twice in one pass. `entries stored` counts the "
        f"{in_process['store']['section']} of GET /_emulator/state/{section['vendor']} "
        "(the race's included). Durability: the database file's journal_mode is "
        "read with sqlite3, and the store's connection says synchronous = "
        f"{section['in_process']['synchronous']} (WAL + NORMAL: a commit survives a killed "
        "process; only a power loss may drop the last ones).",
        "",
        *_table(header, rows),
        "",
        f"The same concurrency against the bare reference app, for scale: in-process "
        f"{_rate(floor['per_second'])} requests/s; over HTTP, the same generator "
        f"({generator}, a distinct body per request) against bare Starlette's one "
        f"process: {_rate(ceiling['per_second'])} requests/s"
        + (
            "."
            if generator.startswith("wrk")
            else " (the Python generator, in one process sharing the cores with the "
            "server, tops out near there itself)."
        ),
        "",
    ]


def _notes(results: dict[str, Any]) -> list[str]:
    return [
        "## How these were measured",
        "",
        "- Percentiles are nearest-rank over the samples (p99 of 200 resets is the 198th "
        "fastest); wrk's p50/p99 are its own.",
        "- Fixtures: sections 1 and 2 use the default fixtures as they are; sections 3 to 5 a "
        "copy with web1on1's `rate_limit_per_second = 0`, because web1on1's documented "
        "limit of 20 requests a second per IP would answer a load test with 429s.",
        "- The emulator is `token-emulator serve` (the console script) on a fresh SQLite "
        "file in a temporary directory on the local disk, logging one line per request at "
        "info into a file, as by default. `--workers 2` for two processes; the bare "
        "reference app runs under the same uvicorn options and worker count "
        "(token_emulator/serving.py).",
        "- Every request sent is valid and gets the vendor's success status; anything else "
        "is counted and shown, and a run with any makes no figure.",
        f"- Load generator: {results.get('load_generator', '-')}; "
        f"{results.get('load_generator_how', '')}",
        "",
    ]


def _cli(section: dict[str, Any], _results: dict[str, Any]) -> list[str]:
    rows = []
    for name, install in section["installs"].items():
        medians, own = install["median_ms"], install["own_ms"]
        for command, median in medians.items():
            cost = f"+{_ms(own[command])}" if command in own else "(the interpreter)"
            rows.append([name, command, _ms(median), cost, str(install["runs"])])
    return [
        f"## {TITLES['cli']}",
        "",
        "Each command run in turn with `python -c pass` (bench/cli.py); `clock` against a "
        "running server. `fresh`: a new venv with the package and its dependencies only, as "
        "a user installs it; `this venv`: the benchmarks' own interpreter, whose test "
        "extras make httpx load more (its command line's click and rich, httpcore's trio).",
        "",
        *_table(["install", "command", "median ms", "own ms", "runs"], rows),
        "",
    ]


TITLES = {
    "startup": "1. Start to healthy",
    "reset": "2. Reset",
    "inprocess": "3. In-process flow latency",
    "throughput": "4. HTTP throughput of the token endpoints",
    "redemptions": "5. Single-use redemptions per second",
    "cli": "6. The command line's own cost",
}
SECTIONS: list[tuple[str, Callable[[dict[str, Any], dict[str, Any]], list[str]]]] = [
    ("startup", _startup),
    ("reset", _reset),
    ("inprocess", _inprocess),
    ("throughput", _throughput),
    ("redemptions", _redemptions),
    ("cli", _cli),
]
