"""Which test runs each shell and Python example of the documentation: every block is
claimed by exactly one (tests/docs/test_examples.py holds them to it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tests.docs.pages import Block


class Runner(NamedTuple):
    test: str  # the test file that runs the blocks it claims
    claims: Callable[[Block], bool]


def _install_and_serve(block: Block) -> bool:
    return block.language == "sh" and block.text.strip().endswith("token-emulator serve")


def _install_and_test(block: Block) -> bool:
    return block.language == "sh" and block.text.strip().endswith(".venv/bin/pytest")


def _https(block: Block) -> bool:
    return block.language == "sh" and "--tls" in block.text


def _shell(block: Block) -> bool:
    others = (_install_and_serve, _install_and_test, _https)
    return block.language == "sh" and not any(other(block) for other in others)


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
    # The README's two commands: the package installed in a fresh venv and served; the
    # test command, which CI runs as written (test_examples.py checks it is there).
    Runner("tests/packaging/test_installed.py", _install_and_serve),
    Runner(".ci/run", _install_and_test),
    Runner("tests/docs/test_examples.py", _shell),
    Runner("tests/tls/test_docs_https.py", _https),
    Runner("tests/plugin/test_plugin.py", plugin_test),
    Runner("tests/container/test_testcontainers.py", is_testcontainers_example),
    Runner("tests/docs/test_examples.py", helpers_example),
    Runner("tests/vendors/test_contract.py", vendor_excerpt),
)
