"""Random tokens and identifiers: the operating system's CSPRNG, read in blocks.

Every `os.urandom` (behind `secrets` and `uuid.uuid4`) is a system call, about
4 µs on this kind of virtual machine: a redemption made two of them, a
fifteenth of its time. The bytes here are os.urandom's all the same, read
4 KiB at a time and each handed out once. A forked child starts with an
empty block, so it never hands out bytes its parent also holds, and a lock of
its own.
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
    global _block, _used, _lock
    _block, _used, _lock = b"", 0, threading.Lock()


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
