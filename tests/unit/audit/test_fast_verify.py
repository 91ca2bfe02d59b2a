"""The verify fast path agrees with the full rules: the same leaf for every event that plainly
authenticates, and None (hand it to the full rules) for everything else."""

from __future__ import annotations

import hashlib
import hmac
import os
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.audit import fast_verify
from app.audit.fast_verify import leaves_of, pads, python_leaves
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


BOTH = pytest.mark.parametrize("leaves", [leaves_of, python_leaves],
                               ids=["with-compiled-core", "python-alone"])


def test_the_compiled_core_is_built() -> None:
    """``make install`` builds ``app/audit/_leafhash.c``; only a machine without a C compiler
    or OpenSSL's headers goes without it (and says so: GOVLEDGER_PURE_PYTHON=1)."""
    if os.environ.get("GOVLEDGER_PURE_PYTHON") == "1":
        pytest.skip("GOVLEDGER_PURE_PYTHON=1: verify hashes in Python alone here")
    assert fast_verify._leafhash is not None  # noqa: SLF001


@BOTH
def test_authenticated_events_get_the_same_leaf_as_the_full_rules(leaves) -> None:
    uid = uuid4()  # PostgreSQL gives ids as UUIDs
    rows = [row(1, state()), row(2, state("2027-03-24T11:12:06+00:00")),
            row(3, state(body='"t":"caf\\u00e9","n":[1,2]'), version=7),
            row(4, state(), key=None),  # untagged, but before authentication was required
            row(5, state(), oid=uuid4().hex.upper()),
            (6, uid, 1, "domain.x:X.Done",
             event_auth.add_tag(KEY, str(uid), 1, "domain.x:X.Done", state())),
            row(7, state("2028-02-29T23:59:59.999999+00:00"), version=2**40)]
    assert leaves(rows, {KID: KEY}, {}, 4, KEYRING) == [expected(r) for r in rows]


def test_the_compiled_core_answers_the_ledgers_plain_rows_itself() -> None:
    """Not just handing every row back to Python: the rows of the ledger's own shape (tagged or
    untagged, a str or UUID id, with or without a fraction of a second) are hashed in C."""
    core = fast_verify._leafhash  # noqa: SLF001
    if core is None:
        pytest.skip("built without the compiled core")
    oid = uuid4()
    rows = [row(1, state()), row(2, state("2027-03-24T11:12:06+00:00")),
            row(3, state(), key=None),
            (4, oid, 3, "domain.x:X.Done",
             event_auth.add_tag(KEY, str(oid), 3, "domain.x:X.Done", state()))]
    out, missing = core.leaves(rows, {KID.encode(): (KEY, None)}, 3, KEYRING)
    assert missing == []
    assert out == [expected(r) for r in rows]


@BOTH
def test_everything_else_goes_to_the_full_rules(leaves) -> None:
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
        row(16, state("2026-02-29T05:40:19.743174+00:00")),  # no such day
        row(17, state("2026-12-02T24:40:19.743174+00:00")),  # no such hour
        (True, *row(18, state())[1:]),                   # a position that is not an int
    ]
    assert leaves(rows, {KID: KEY}, {KID: 6}, 4, KEYRING) == [None] * len(rows)
    assert leaves([row(7, state())], {KID: KEY}, {KID: 7}, 4, KEYRING)[0] is not None


MOMENTS = st.one_of(
    st.sampled_from(["2026-12-02T05:40:19.743174+00:00", "2026-12-02T05:40:19+00:00",
                     "2024-02-29T00:00:00.000001+00:00", "0001-01-01T00:00:00+00:00"]),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?"
                  r"(\+00:00|Z|-01:00|)\Z"))
TOPICS = st.one_of(st.sampled_from(["domain.x:X.Done", "domain.changes.change_request:CR.Made"]),
                   st.text(max_size=12))
BODIES = st.one_of(st.just('"x":1'), st.text(max_size=30).map(lambda t: '"t":' + repr(t)),
                   st.just('"timestamp":2'))


@st.composite
def raw_rows(draw: st.DrawFn) -> tuple:
    """Rows of the ledger's shape and near misses: odd ids, times, topics, tags, types."""
    position = draw(st.integers(1, 12))
    version = draw(st.one_of(st.integers(-3, 2**70), st.booleans()))
    topic = draw(TOPICS)
    raw = state(draw(MOMENTS), draw(BODIES))
    ident = draw(st.sampled_from(["hex", "HEX", "uuid", "short", "keyring"]))
    oid = {"hex": uuid4().hex, "HEX": uuid4().hex.upper(), "uuid": uuid4(), "short": "abc",
           "keyring": KEYRING.replace("-", "")}[ident]
    key = draw(st.sampled_from([KEY, None, bytes(32), b"k" * 80]))
    if key is not None and isinstance(version, int) and canonical_id(oid) is not None:
        raw = event_auth.add_tag(key, canonical_id(oid), version, topic, raw)
    if draw(st.integers(0, 3)) == 0:  # tamper one byte
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1:]
    return (position, oid, version, topic, raw)


@given(st.lists(raw_rows(), max_size=8), st.integers(0, 12), st.integers(0, 12))
def test_the_compiled_core_gives_what_python_gives(rows: list, required_after: int,
                                                   retired_at: int) -> None:
    keys = {KID: KEY, event_auth.key_id_of(b"k" * 80): b"k" * 80}
    retired = {KID: retired_at}
    assert (leaves_of(rows, keys, retired, required_after, KEYRING)
            == python_leaves(rows, keys, retired, required_after, KEYRING))


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


@given(st.integers(0, 9), st.binary(min_size=1, max_size=8))
def test_the_compiled_perfect_root_is_the_pythons(height: int, seed: bytes) -> None:
    from app.audit.fast_verify import perfect_root, python_perfect_root
    from domain.audit import merkle
    leaves = [hashlib.sha256(seed + i.to_bytes(2, "big")).digest() for i in range(2 ** height)]
    joined = b"".join(leaves)
    assert perfect_root(joined) == python_perfect_root(joined) == merkle.root(leaves)


def test_the_compiled_perfect_root_refuses_what_is_not_a_perfect_tree() -> None:
    core = fast_verify._leafhash  # noqa: SLF001
    if core is None:
        pytest.skip("built without the compiled core")
    for joined in (b"", bytes(31), bytes(96)):
        with pytest.raises(ValueError, match="power of two"):
            core.perfect_root(joined)
