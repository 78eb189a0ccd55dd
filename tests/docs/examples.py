"""Which test runs each shell and Python example of the documentation: every block is
claimed by exactly one (tests/docs/test_examples.py holds them to it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tests.docs.pages import Block


class Runner(NamedTuple):
    test: str  # the test file that runs the blocks it claims
    claims: Callable[[Block], bool]


def _install_command(block: Block) -> bool:
    return block.language == "sh" and block.text.startswith("python3 -m venv .venv")


def _https(block: Block) -> bool:
    return block.language == "sh" and "--tls" in block.text


def _shell(block: Block) -> bool:
    return block.language == "sh" and not _install_command(block) and not _https(block)


def plugin_test(block: Block) -> bool:
    """A test module for a project using the plugin: its tests ask for token_emulator,
    or it declares a fixture on the plugin's building block."""
    return block.language == "python" and (
        "(token_emulator)" in block.text or "in_process_client" in block.text
    )


def is_testcontainers_example(block: Block) -> bool:
    return block.language == "python" and "TokenEmulatorContainer" in block.text


def vendor_excerpt(block: Block) -> bool:
    """docs/adding-a-vendor.md shows the example vendor's code, which the contract test
    serves: test_examples.py holds each block to be in its files as written."""
    return block.language == "python" and block.page.name == "adding-a-vendor.md"


def helpers_example(block: Block) -> bool:
    others = (plugin_test, is_testcontainers_example, vendor_excerpt)
    return block.language == "python" and not any(other(block) for other in others)


RUNNERS = (
    Runner(".ci/run", _install_command),  # the two commands, as CI runs them
    Runner("tests/docs/test_examples.py", _shell),
    Runner("tests/tls/test_docs_https.py", _https),
    Runner("tests/plugin/test_plugin.py", plugin_test),
    Runner("tests/container/test_testcontainers.py", is_testcontainers_example),
    Runner("tests/docs/test_examples.py", helpers_example),
    Runner("tests/vendors/test_contract.py", vendor_excerpt),
)
