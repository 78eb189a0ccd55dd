"""Tokens and ids from core/randomness.py: the shapes `secrets` and `uuid` give, never twice,
and never the same in a forked child as in its parent."""

from __future__ import annotations

import os
import re
import select
import signal
import uuid

from token_emulator.core import randomness


def test_shapes_match_the_standard_library() -> None:
    token = randomness.random_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # as secrets.token_urlsafe(32)
    assert re.fullmatch(r"[0-9a-f]{24}", randomness.random_hex(12))
    parsed = uuid.UUID(randomness.random_uuid())
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert len(randomness.random_bytes(5000)) == 5000  # more than a block at once


def test_no_value_is_handed_out_twice() -> None:
    tokens = {randomness.random_token() for _ in range(20_000)}  # ~160 blocks
    assert len(tokens) == 20_000


def test_a_forked_child_does_not_repeat_its_parents_bytes() -> None:
    randomness.random_bytes(1)  # the parent holds a block with bytes still to hand out
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writer, randomness.random_bytes(64))
        os._exit(0)
    os.close(writer)
    from_child = os.read(reader, 64)
    os.close(reader)
    os.waitpid(child, 0)
    assert len(from_child) == 64 and from_child != randomness.random_bytes(64)


def test_a_child_forked_while_the_lock_was_held_can_still_draw() -> None:
    """Another thread may hold the lock at the moment of a fork; the child's copy of
    that lock would stay held, and its first token would wait forever."""
    reader, writer = os.pipe()
    with randomness._lock:
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.write(writer, randomness.random_bytes(16))
            os._exit(0)
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], 10)
        drawn = os.read(reader, 16) if ready else b""
    finally:
        os.close(reader)
        if not drawn:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert len(drawn) == 16


def test_ordered_ids_are_object_ids_that_count_up_within_a_second() -> None:
    ids = [randomness.ordered_id(1_700_000_000.9) for _ in range(5_000)]
    assert all(re.fullmatch(r"[0-9a-f]{24}", one) for one in ids)
    assert {one[:8] for one in ids} == {f"{1_700_000_000:08x}"}  # the time, whole seconds
    assert len(set(ids)) == 5_000
    # Within one random part they sort in the order made (what keeps index inserts
    # at the end); a part drawn anew when the counter runs out starts elsewhere.
    runs = [[one for one in ids if one[8:18] == part] for part in {one[8:18] for one in ids}]
    assert all(run == sorted(run) for run in runs)
    assert randomness.ordered_id(2**32 + 5).startswith("00000005")  # wraps as an ObjectId


def test_an_exhausted_counter_draws_a_new_random_part_instead_of_repeating() -> None:
    """A frozen clock keeps the time part fixed: after 2**24 ids the counter alone
    would repeat the first ids."""
    first = randomness.ordered_id(0)
    with randomness._lock:
        randomness._id_count = randomness.ID_COUNTS - 1
    last_of_part = randomness.ordered_id(0)
    after = randomness.ordered_id(0)
    assert last_of_part[8:18] == first[8:18] and last_of_part.endswith("ffffff")
    assert after[8:18] != first[8:18]


def test_a_forked_child_draws_its_own_random_part_for_ordered_ids() -> None:
    parent = randomness.ordered_id(0)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writer, randomness.ordered_id(0).encode())
        os._exit(0)
    os.close(writer)
    from_child = os.read(reader, 24).decode()
    os.close(reader)
    os.waitpid(child, 0)
    assert len(from_child) == 24 and from_child[8:18] != parent[8:18]


def test_ordered_id_digits_is_the_length_of_an_ordered_id() -> None:
    lengths = {len(randomness.ordered_id(seconds)) for seconds in (0, 1.5, 2**32 - 1, 2**40)}
    assert lengths == {randomness.ORDERED_ID_DIGITS}
