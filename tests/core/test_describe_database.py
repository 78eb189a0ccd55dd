"""The database as health and the start-up error show it: never a user or a password."""

from __future__ import annotations

import pytest

from token_emulator.core.storage import describe_database


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite+pysqlite:////tmp/a b/e.sqlite3", "sqlite+pysqlite:////tmp/a b/e.sqlite3"),
        ("sqlite+pysqlite:///:memory:", "sqlite+pysqlite:///:memory:"),
        (
            "postgresql+asyncpg://postgres@127.0.0.1:5432/emulator",
            "postgresql+asyncpg://127.0.0.1:5432/emulator",
        ),
        ("postgresql+asyncpg://someone:hunter2@db/emulator", "postgresql+asyncpg://db/emulator"),
        # An @ or a / in the password: still none of it.
        ("postgresql+asyncpg://someone:hun@ter2@db:5432/e", "postgresql+asyncpg://db:5432/e"),
        ("postgresql+asyncpg://someone:hun/ter2@db/e", "postgresql+asyncpg://db/e"),
        # libpq's and asyncpg's password parameters are dropped, the others kept.
        (
            "postgresql+asyncpg://db/e?password=hunter2&sslmode=require&passfile=/p",
            "postgresql+asyncpg://db/e?sslmode=require",
        ),
    ],
)
def test_no_credentials_are_shown(url: str, shown: str) -> None:
    assert describe_database(url) == shown
