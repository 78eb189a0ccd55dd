"""Random tokens and identifiers: the operating system's CSPRNG, read in blocks.

Every `os.urandom` (behind `secrets` and `uuid.uuid4`) is a system call, a
measurable part of a redemption (bench/HISTORY.md, "Random bytes in blocks").
The bytes here are os.urandom's all the same, read 4 KiB at a time and each
handed out once. A forked child starts with an
empty block, so it never hands out bytes its parent also holds, and a lock of
its own. Ids that are table keys count up instead (`ordered_id`).
"""

from __future__ import annotations

import base64
import os
import threading
import uuid

BLOCK_BYTES = 4096

_lock = threading.Lock()
_block = b""
_used = 0
# ordered_id's state: this process's random part and its next count; a count of
# ID_COUNTS means a random part must be drawn first.
ID_COUNTS = 1 << 24
ORDERED_ID_DIGITS = 24  # the length of an ordered_id
_id_process = ""
_id_count = ID_COUNTS


def random_bytes(count: int) -> bytes:
    global _block, _used
    with _lock:
        if _used + count > len(_block):
            _block, _used = os.urandom(max(BLOCK_BYTES, count)), 0
        taken = _block[_used : _used + count]
        _used += count
    return taken


def _forget() -> None:
    # A new lock too: a fork taken while another thread held the lock would leave
    # the child's copy held forever.
    global _block, _used, _lock, _id_count
    _block, _used, _lock = b"", 0, threading.Lock()
    _id_count = ID_COUNTS  # a child must not count on from its parent's ids


os.register_at_fork(after_in_child=_forget)


def random_token(count: int = 32) -> str:
    """URL-safe text of `count` random bytes, as secrets.token_urlsafe writes it."""
    return base64.urlsafe_b64encode(random_bytes(count)).rstrip(b"=").decode("ascii")


def random_hex(count: int) -> str:
    """Hex text of `count` random bytes, as secrets.token_hex writes it."""
    return random_bytes(count).hex()


def random_uuid() -> str:
    """A version 4 UUID as text, as str(uuid.uuid4()) writes it."""
    return str(uuid.UUID(bytes=random_bytes(16), version=4))


def ordered_id(seconds: float) -> str:
    """24 hex digits laid out as MongoDB's ObjectId: 4 bytes of `seconds` (the
    emulator's time), 5 random bytes drawn once per process, a 3-byte counter.

    For ids that are table keys (a token's jti, a refresh chain): the ids one
    process makes in one second count up, so each new row lands at the end of
    its index, where the other rows of the same group commit also land. With
    random keys every row dirtied a page of its own, which COMMIT then wrote out
    (bench/HISTORY.md, "Ordered ids").
    Unique like an ObjectId: when the counter runs out (a frozen clock, 16.7
    million ids) the random part is drawn again, and another process draws its
    own."""
    global _id_process, _id_count
    with _lock:
        if _id_count >= ID_COUNTS:
            # os.urandom directly: random_bytes takes this lock.
            drawn = os.urandom(8)
            _id_process, _id_count = drawn[:5].hex(), int.from_bytes(drawn[5:], "big")
        count = _id_count
        _id_count += 1
        process = _id_process
    return f"{int(seconds) % 2**32:08x}{process}{count:06x}"
