"""What a client of a vendor sends, as each vendor package's client.py declares it.

The client side of a vendor, apart from its server side (core/vendor.py): its
token flow as steps (core/calls.py), the options a QA command or a test passes
it, how its credentials are found in a fixture file, what a client signs
before calling (`mint`), and the field its answer holds the token in. The
pytest plugin, the QA commands and the benchmarks loop over these and name no
vendor. Light on purpose: no Starlette, no SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from token_emulator.core.calls import Call, Steps
from token_emulator.core.fixtures import FixtureModel, load_file
from token_emulator.core.package_files import default_fixtures_dir

FixturesDir = str | Path | None
M = TypeVar("M", bound=FixtureModel)
E = TypeVar("E")


class MissingCredential(LookupError):
    """The fixture directory holds no credential that fits; the message says what to pass."""


def fixtures_directory(fixtures: FixturesDir = None) -> Path:
    """The directory given, else the package's default fixtures."""
    return Path(fixtures) if fixtures is not None else default_fixtures_dir()


@dataclass(frozen=True)
class Option:
    """One parameter of a flow (or of a mint), as the QA command line offers it."""

    flag: str  # "--workspace"
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    type: Callable[[str], Any] | None = None  # a conversion argparse reports itself (int)
    # Reads the text given; a ValueError's message follows the flag in the usage error.
    parse: Callable[[str], Any] | None = None
    switch: bool = False  # a flag without a value (store_true)
    requires: str | None = None  # another option this one is given with: "--email"
    keyword: str | None = None  # the flow's keyword argument, when not the flag's name

    @property
    def name(self) -> str:
        """The keyword argument the flow (or the mint) takes it as."""
        return self.keyword or self.flag.removeprefix("--").replace("-", "_")


def json_value(text: str) -> Any:
    """An option given as JSON (`--custom-data '{"plan": "gold"}'`)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"is not JSON: {error}") from None


@dataclass(frozen=True)
class Mint:
    """What a client signs before it calls (UneeQ's request JWT, a Unifize assertion),
    made without a server: `make(**options)` gives the compact JWS."""

    help: str
    options: tuple[Option, ...]
    make: Callable[..., str]  # make(claims, **options, fixtures=...): extra claims first
    reserved: tuple[str, ...] = ()  # names an extra claim may not take (the make's own)


@dataclass(frozen=True)
class Redemption:
    """A single-use token the flow ends by redeeming (UneeQ's start-session): once, it
    makes one entry of the vendor's state; again, it is refused."""

    call: Callable[[str], Call]  # the redemption of one token
    stored_in: str  # the section of `GET /_emulator/state/<id>` with an entry per redemption
    token_key: str = "token"  # the field of such an entry that names the token redeemed
    refused_status: int = 401  # what redeeming it again answers


@dataclass(frozen=True)
class VendorClient:
    id: str  # also its URL prefix and its name in the journal, logs and CLI
    title: str
    fixture_file: str
    fixture_model: type[FixtureModel]
    # The flow, as steps returning the vendor's whole answer; its keyword arguments are
    # `options` by name, and `fixtures` (the directory credentials default from).
    answer: Callable[..., Steps[dict[str, Any]]]
    token_field: str  # where the answer holds the token
    summary: str  # the flow in a few words: "request JWT -> single-use token"
    options: tuple[Option, ...] = ()
    # The token request a load test repeats, built in advance (the client's signing is
    # the client's work), and what a client sends next with the answer to that request
    # (a redemption): built from the two alone, without reading the fixtures again.
    # Called as token_call(fixtures=DIR): its other arguments take their defaults.
    token_call: Callable[..., Call] | None = None
    follow_up: Callable[[dict[str, Any], Call], Call] | None = None
    redemption: Redemption | None = None
    # Top-level settings a load test needs (web1on1's rate limit off), none by default.
    load_test_settings: Mapping[str, Any] = field(default_factory=dict)
    mint: Mint | None = None
    # Public helpers, importable as `token_emulator.testing.<name>`.
    helpers: Mapping[str, Any] = field(default_factory=dict)

    def fixtures(self, fixtures: FixturesDir = None) -> FixtureModel:
        """Its fixture file in the directory, validated as `serve` validates it
        (FixtureError naming the problem); a missing file: no entries."""
        return load_file(self.fixture_model, fixtures_directory(fixtures) / self.fixture_file)


def fixtures_of(model: type[M], client: VendorClient, fixtures: FixturesDir = None) -> M:
    """`client.fixtures(...)`, typed as the vendor's own fixture model."""
    loaded = client.fixtures(fixtures)
    assert isinstance(loaded, model)
    return loaded


def missing(
    client: VendorClient, fixtures: FixturesDir, what: str, argument: str
) -> MissingCredential:
    """ "no <what> in <dir>/<file>; pass <argument>": a credential the fixtures lack."""
    where = fixtures_directory(fixtures) / client.fixture_file
    return MissingCredential(f"no {what} in {where}; pass {argument}")


def first_entry(
    entries: Sequence[E], client: VendorClient, fixtures: FixturesDir, what: str, argument: str
) -> E:
    """The first entry of a fixture section; MissingCredential (see `missing`) if none."""
    if not entries:
        raise missing(client, fixtures, what, argument)
    return entries[0]
