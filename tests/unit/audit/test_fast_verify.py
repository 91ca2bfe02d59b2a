"""The verify fast path agrees with the full rules: the same leaf for every event that plainly
authenticates, and None (hand it to the full rules) for everything else."""

from __future__ import annotations

import hashlib
import hmac
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.audit.fast_verify import leaves_of, pads
from app.audit.service import canonical_id, fast_leaf, recorded_time
from domain.audit import event_auth

KEY = bytes(range(32))
KID = event_auth.key_id_of(KEY)
KEYRING = str(uuid4())


def state(moment: str = "2026-12-02T05:40:19.743174+00:00", body: str = '"x":1') -> bytes:
    return f'{{"timestamp":{{"_type_":"datetime_iso","_data_":"{moment}"}},{body}}}'.encode()


def row(position: int, raw: bytes, key: bytes | None = KEY, oid: str | None = None,
        version: int = 1, topic: str = "domain.x:X.Done") -> tuple:
    oid = oid or uuid4().hex
    if key is not None:
        raw = event_auth.add_tag(key, canonical_id(oid), version, topic, raw)
    return (position, oid, version, topic, raw)


def expected(r: tuple) -> bytes:
    position, raw_id, version, topic, raw = r
    return fast_leaf(position, canonical_id(raw_id), version, topic,
                     hashlib.sha256(raw).hexdigest(), recorded_time(raw))


@given(st.binary(max_size=200), st.binary(max_size=100))
def test_pads_give_the_standard_hmac(key: bytes, message: bytes) -> None:
    inner, outer = (h.copy() for h in pads(key))
    inner.update(message)
    outer.update(inner.digest())
    assert outer.digest() == hmac.digest(key, message, "sha256")


def test_authenticated_events_get_the_same_leaf_as_the_full_rules() -> None:
    rows = [row(1, state()), row(2, state("2027-03-24T11:12:06+00:00")),
            row(3, state(body='"t":"caf\\u00e9","n":[1,2]'), version=7),
            row(4, state(), key=None)]  # untagged, but before authentication was required
    assert leaves_of(rows, {KID: KEY}, {}, 4, KEYRING) == [expected(r) for r in rows]


def test_everything_else_goes_to_the_full_rules() -> None:
    other = bytes(32)
    good = row(5, state())
    forged = (*good[:4], good[4][:-3] + (b"0" if good[4][-3:-2] != b"0" else b"1") + b'"}')
    rows = [
        row(5, state(), key=None),                       # untagged after required_after
        row(6, state(), key=other),                      # unknown key
        row(7, state()),                                 # key retired at 6
        row(8, state(), oid=KEYRING.replace("-", "")),   # the keyring itself
        forged,                                          # tag does not match
        (9, good[1], 2, good[3], good[4]),               # copied to a new version
        row(10, state("2026-12-02 05:40:19+00:00")),     # not the ledger's time format
        row(11, state("2026-12-02T05:40:19+02:00")),     # not UTC
        row(12, state("not a time")),
        row(13, state(body='"timestamp":2')),            # a second timestamp key
        row(14, b'{"x":1}'),                              # time not first
        row(15, state(), oid="not-a-uuid"),
    ]
    assert leaves_of(rows, {KID: KEY}, {KID: 6}, 4, KEYRING) == [None] * len(rows)
    assert leaves_of([row(7, state())], {KID: KEY}, {KID: 7}, 4, KEYRING)[0] is not None


@given(st.integers(0, 70), st.integers(0, 70))
def test_extend_is_append_in_turn(before: int, count: int) -> None:
    from domain.audit import merkle
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(before + count)]
    one, other = merkle.RootBuilder(), merkle.RootBuilder()
    for leaf in leaves:
        one.append(leaf)
    other.extend(leaves[:before])
    other.extend(leaves[before:])
    assert (other.size, other.peaks, other.root()) == (one.size, one.peaks, one.root())


@given(st.integers(0, 70), st.integers(1, 70), st.lists(st.integers(0, 150), max_size=5))
def test_a_workers_subtrees_give_the_same_roots_as_its_leaves(before: int, count: int,
                                                               cuts: list[int]) -> None:
    """A range of leaves hashed elsewhere as aligned subtrees, split at checkpoint sizes, gives
    the tree the leaves give one by one: the same peaks after it and the same root at each cut."""
    from app.audit.fast_verify import subtrees
    from domain.audit import merkle
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(before + count)]
    one, other = merkle.RootBuilder(), merkle.RootBuilder()
    one.extend(leaves[:before])
    other.extend(leaves[:before])
    cuts = sorted(set(cuts))

    roots = {}
    for end, blocks in subtrees(b"".join(leaves[before:]), before, cuts):
        for size, node in blocks:
            other.add_subtree(size, node)
        roots[end] = other.root()

    wanted = [c for c in cuts if before < c < before + count] + [before + count]
    assert sorted(roots) == wanted
    for end in wanted:
        assert roots[end] == merkle.root(leaves[:end])
    one.extend(leaves[before:])
    assert (other.size, other.peaks) == (one.size, one.peaks)


def test_a_subtree_out_of_line_is_refused() -> None:
    from domain.audit import merkle
    builder = merkle.RootBuilder()
    builder.append(bytes(32))

    with pytest.raises(ValueError, match="not aligned"):
        builder.add_subtree(2, bytes(32))
