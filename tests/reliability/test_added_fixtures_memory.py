"""A reset gives back the memory that fixtures added at run time held: they live in the
store, each entry under the values an addition is checked against
(core/runtime_fixtures.py), not parsed in the server's memory."""

from __future__ import annotations

from bench.added_fixtures import run


def test_a_reset_gives_back_the_memory_of_fixtures_added_at_run_time() -> None:
    """120 additions of about 63 KiB (the body limit's size) to one `serve` process: its
    resident memory after a reset is within 10 % of what it was before them. (The
    figures of time the same run gives are bench's, not asserted here.)"""
    figures = run(additions=120, kib=63)
    before = figures["resident MiB before"]
    assert figures["resident MiB after a reset"] <= 1.10 * before, figures
