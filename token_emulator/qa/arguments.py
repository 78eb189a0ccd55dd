"""The command line as people write it, put in the order argparse reads.

Two things argparse cannot take as typed:
- options given before the command's name (`token-emulator --url U fault list`): the
  top-level parser has no options, each command has its own; they are moved to the
  end (before a `--`), where the innermost parser (`fault list`'s) takes them, and a
  command without that option says so ("unrecognized arguments: --url U");
- a negative duration (`clock advance -5m`), which argparse reads as an unknown option,
  and an option between clock's action and its value (`clock set --freeze ISO`): the
  options go first, then `--` and the action with its value.
"""

from __future__ import annotations

from token_emulator.core.durations import parse_duration

# The options that may come first, and whether each is followed by a value.
LEADING_OPTIONS = {
    "--url": True,
    "--admin-token": True,
    "--world": True,
    "--timeout": True,
    "--json": False,
}


def arrange(argv: list[str]) -> list[str]:
    return _clock_positionals_last(_leading_options_after_command(argv))


def _leading_options_after_command(argv: list[str]) -> list[str]:
    leading: list[str] = []
    index = 0
    while index < len(argv):
        name, has_value, _ = argv[index].partition("=")
        takes_value = LEADING_OPTIONS.get(name)
        if takes_value is None:
            break
        width = 2 if takes_value and not has_value else 1
        leading += argv[index : index + width]
        index += width
    if not leading or index >= len(argv) or argv[index].startswith("-"):
        return argv  # no command after them: argparse explains
    rest = argv[index:]
    end = rest.index("--") if "--" in rest else len(rest)
    # One written after the command as well wins, as the last of two options does.
    later = {word.partition("=")[0] for word in rest[:end]}
    kept: list[str] = []
    position = 0
    while position < len(leading):
        name = leading[position].partition("=")[0]
        width = 2 if LEADING_OPTIONS[name] and "=" not in leading[position] else 1
        if name not in later:
            kept += leading[position : position + width]
        position += width
    return [*rest[:end], *kept, *rest[end:]]


def _clock_positionals_last(argv: list[str]) -> list[str]:
    """`clock [options] advance -5m [options]` (or `clock set --freeze ISO`) as
    `clock [options] -- advance -5m`: argparse reads positionals after `--` only when
    nothing else follows them."""
    if argv[:1] != ["clock"]:
        return argv
    options: list[str] = []
    positionals: list[str] = []
    index = 1
    after_dashes = False
    while index < len(argv):
        word = argv[index]
        if word == "--" and not after_dashes:
            after_dashes = True
        elif (
            after_dashes
            or not word.startswith("-")
            or (positionals == ["advance"] and _is_duration(word))
        ):
            positionals.append(word)
        else:
            options.append(word)
            if LEADING_OPTIONS.get(word) and index + 1 < len(argv):
                index += 1
                options.append(argv[index])  # an option's value, whatever it looks like
        index += 1
    if len(positionals) != 2:
        return argv
    # argparse takes an optional positional only from the words before the first option
    # after it (`clock set --freeze ISO` would leave ISO over), so positionals go last.
    return ["clock", *options, "--", *positionals]


def _is_duration(word: str) -> bool:
    try:
        parse_duration(word)
    except ValueError:
        return False
    return True
