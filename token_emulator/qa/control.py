"""`clock`, `fault`, `reset` and `state`: drive the control plane of a running emulator."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TypeAlias

from token_emulator.control import api
from token_emulator.core.durations import format_duration, parse_duration
from token_emulator.qa.options import finite_number, remote_options, wants_json
from token_emulator.qa.output import emit, pairs, print_json, table
from token_emulator.qa.remote import Target

CLOCK_ACTIONS = ("show", "advance", "set", "freeze", "real")


def vendor_ids() -> list[str]:
    from token_emulator.vendors import all_clients

    return [client.id for client in all_clients()]


if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_parser(commands: Commands, name: str, help: str) -> None:
    parsers = {
        "clock": _clock_parser,
        "fault": _fault_parser,
        "reset": _reset_parser,
        "state": _state_parser,
    }
    parsers[name](commands, name, help)


def _clock_parser(commands: Commands, name: str, help: str) -> None:
    clock = commands.add_parser(
        name,
        parents=[remote_options()],
        help=help,
        description="show | advance DURATION | set ISO-8601 [--freeze] | freeze | real. "
        "Durations: 90s, 15m, 2h, 1d, 1h30m or seconds, negative to go back (-5m). `set` on "
        "a running clock keeps it running from that instant (it has moved on by the time "
        "you read it); `set --freeze` stops it at exactly that instant.",
    )
    clock.add_argument("action", nargs="?", default="show", choices=CLOCK_ACTIONS)
    clock.add_argument("value", nargs="?", help="a duration (advance) or an instant (set)")
    clock.add_argument("--freeze", action="store_true", help="with set: set and freeze in one step")
    clock.set_defaults(handler=_clock, parser=clock)


def _fault_parser(commands: Commands, name: str, help: str) -> None:
    remote = remote_options()
    fault = commands.add_parser(name, parents=[remote], help=help)
    actions = fault.add_subparsers(dest="fault_action", required=True)
    add = actions.add_parser(
        "add",
        parents=[remote],
        help="force the next matching requests to a status, a delay or a dropped connection",
    )
    add.add_argument("--vendor", required=True, help=f"one of {', '.join(vendor_ids())}")
    add.add_argument("--route", help="a route's short name (token) or full name (uneeq:token)")
    add.add_argument("--method", help="only requests with this method")
    add.add_argument("--status", type=int, help="answer this status in the vendor's error body")
    add.add_argument("--times", type=int, help="how many matching requests (default 1)")
    add.add_argument("--delay-ms", type=int, help="answer normally after this delay")
    add.add_argument("--drop", action="store_true", default=None, help="close the connection")
    add.add_argument("--probability", type=finite_number, help="0 to 1, default 1")
    add.add_argument("--seed", type=int, help="seed of the probability draws")
    add.set_defaults(handler=_fault_add)
    listing = actions.add_parser("list", parents=[remote], help="the active faults")
    listing.set_defaults(handler=_fault_list)
    clear = actions.add_parser("clear", parents=[remote], help="remove one fault, or all")
    clear.add_argument("id", nargs="?", type=int, help="the fault's id (default: all)")
    clear.set_defaults(handler=_fault_clear)


def _reset_parser(commands: Commands, name: str, help: str) -> None:
    reset = commands.add_parser(name, parents=[remote_options()], help=help)
    reset.set_defaults(handler=_reset)


def _state_parser(commands: Commands, name: str, help: str) -> None:
    state = commands.add_parser(name, parents=[remote_options()], help=help)
    state.add_argument("vendor", choices=vendor_ids())
    state.set_defaults(handler=_state)


def _clock(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    action, value = args.action, args.value
    body: dict[str, Any] | None = None
    if args.freeze and action != "set":
        parser.error("--freeze goes with clock set (to stop the clock, write clock freeze)")
    if action in ("advance", "set"):
        if value is None:
            parser.error(f"clock {action} needs a {'duration' if action == 'advance' else 'time'}")
        if action == "advance":
            try:
                body = {"advance": parse_duration(value)}
            except ValueError as error:
                parser.error(str(error))
        else:
            body = {"set": value, **({"freeze": True} if args.freeze else {})}
    elif value is not None:
        parser.error(f"clock {action} takes no value")
    elif action in ("freeze", "real"):
        body = {action: True}
    with Target.from_args(args).client() as emulator:
        if body:
            reading = emulator.call(api.MOVE_CLOCK, json=body)
        else:
            reading = emulator.call(api.READ_CLOCK)
    if wants_json(args):
        print_json(reading)
        return 0
    offset = float(reading.get("offset_seconds", 0))
    sign = "+" if offset >= 0 else ""
    emit(
        pairs(
            [
                ("now", reading.get("now")),
                ("frozen", "yes" if reading.get("frozen") else "no"),
                (
                    "offset",
                    f"{sign}{format_duration(offset)} ({round(offset, 3):.15g} s from real time)",
                ),
            ]
        )
    )
    return 0


def _fault_add(args: argparse.Namespace) -> int:
    fields = ("vendor", "route", "method", "status", "times", "delay_ms", "drop", "probability")
    body = {name: getattr(args, name) for name in (*fields, "seed")}
    body = {name: value for name, value in body.items() if value is not None}
    with Target.from_args(args).client() as emulator:
        created = emulator.call(api.ADD_FAULT, json=body)
    if wants_json(args):
        print_json(created)
    else:
        emit(fault_table([created["fault"]]))
    return 0


def _fault_list(args: argparse.Namespace) -> int:
    with Target.from_args(args).client() as emulator:
        listed = emulator.call(api.FAULTS)
    if wants_json(args):
        print_json(listed)
    elif listed["faults"]:
        emit(fault_table(listed["faults"]))
    else:
        print("no active faults")
    return 0


def _fault_clear(args: argparse.Namespace) -> int:
    with Target.from_args(args).client() as emulator:
        if args.id is None:
            answer = emulator.call(api.CLEAR_FAULTS)
        else:
            answer = emulator.call(api.CLEAR_FAULT, path_params={"id": args.id})
    if wants_json(args):
        print_json(answer)
    else:
        print("cleared every fault" if args.id is None else f"cleared fault {args.id}")
    return 0


def effect(fault: dict[str, Any]) -> str:
    parts = []
    if fault.get("delay_ms"):
        parts.append(f"delay {fault['delay_ms']} ms")
    if fault.get("drop"):
        parts.append("drop the connection")
    if fault.get("status") is not None:
        parts.append(f"status {fault['status']}")
    return ", then ".join(parts)


def fault_table(faults: list[dict[str, Any]]) -> list[str]:
    rows = [
        [
            fault["id"],
            fault["vendor"],
            fault.get("route") or "any",
            fault.get("method") or "any",
            f"{fault.get('probability', 1):g}",
            fault.get("times_left"),
            effect(fault),
        ]
        for fault in faults
    ]
    return table(["ID", "VENDOR", "ROUTE", "METHOD", "PROBABILITY", "TIMES LEFT", "EFFECT"], rows)


def _reset(args: argparse.Namespace) -> int:
    with Target.from_args(args).client() as emulator:
        answer = emulator.call(api.RESET)
    if wants_json(args):
        print_json(answer)
    else:
        now = answer.get("clock", {}).get("now")
        print(f"reset to the fixtures: real clock at {now}, no faults, empty journal")
    return 0


def _state(args: argparse.Namespace) -> int:
    with Target.from_args(args).client() as emulator:
        print_json(emulator.call(api.STATE, path_params={"vendor": args.vendor}))
    return 0
