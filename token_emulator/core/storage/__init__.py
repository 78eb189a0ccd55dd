"""Persistent state behind one door: the store (store.py) and its connection.

What vendors and the core use is re-exported here; the modules beside it are
how each database is driven, and stay behind the door.
"""

from token_emulator.core.storage.connection import Connection
from token_emulator.core.storage.opening import open_store
from token_emulator.core.storage.store import (
    SERVER_ONLY,
    AutoId,
    Store,
    database_url,
    describe_database,
    metadata,
)

__all__ = [
    "SERVER_ONLY",
    "AutoId",
    "Connection",
    "Store",
    "database_url",
    "describe_database",
    "metadata",
    "open_store",
]
