"""``event_auth.untagged``: the state without its tag, as ``split`` gives it, for decoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.audit import event_auth

KEY = b"k" * 32


@given(st.binary(max_size=200), st.booleans(), st.integers(0, 3))
def test_untagged_is_the_state_split_gives(body: bytes, tag: bool, cut: int) -> None:
    """Tagged, untagged, or a tag cut short or followed by more bytes: the decoder must see
    exactly what ``split`` would leave, or an event would decode differently on a rebuild."""
    state = b'{"x":' + body + b"}"
    if tag:
        state = event_auth.add_tag(KEY, "0" * 32, 1, "t", state)
    state = state[:len(state) - cut] if cut < 2 else state + b"}" * cut

    assert event_auth.untagged(state) == event_auth.split(state)[0]


def test_a_tagged_state_loses_exactly_its_tag() -> None:
    state = event_auth.add_tag(KEY, "0" * 32, 1, "t", b'{"x":1}')

    assert event_auth.untagged(state) == b'{"x":1}'
    assert event_auth.untagged(b'{"x":1}') == b'{"x":1}'
