"""The NUL escape PostgreSQL's text columns get (token_emulator/core/store.py): every string
comes back as it was sent, and text without NUL or U+FFFF is stored as it is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from token_emulator.core.storage.postgres import TEXT_ESCAPE as POSTGRES_TEXT_ESCAPE
from token_emulator.core.storage.postgres import escape as _postgres_escape
from token_emulator.core.storage.postgres import unescape as _postgres_unescape

# Text made mostly of the characters the escape is about.
AWKWARD = st.text(alphabet=st.sampled_from(["\x00", POSTGRES_TEXT_ESCAPE, "0", "a", "é"]))


@given(st.one_of(AWKWARD, st.text()))
def test_every_string_comes_back_as_sent(value: str) -> None:
    stored = _postgres_escape(value)
    assert "\x00" not in stored
    assert _postgres_unescape(stored) == value


@given(st.text().filter(lambda v: "\x00" not in v and POSTGRES_TEXT_ESCAPE not in v))
def test_ordinary_text_is_stored_as_it_is(value: str) -> None:
    assert _postgres_escape(value) == value == _postgres_unescape(value)
