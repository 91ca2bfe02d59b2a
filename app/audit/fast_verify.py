"""The fast path of ``Audit.verify``: leaf hashes of raw stored rows, a batch at a time.

``leaves_of`` gives, for each raw row ``(position, originator id, version, topic, state)``, the
leaf hash ``Audit._leaf_and_reason`` would give when that event plainly authenticates (a valid
tag under a known, unretired key, or untagged but written before events were authenticated), has
a canonical originator id and its time at the head of its JSON in the ledger's own format; and
None for every other row, which the caller hands to the full rules (same result, just slower).
It only ever says "this one is fine, here is its leaf": every reason an event is *not* fine comes
from the one rule in ``Audit._auth_reason``. Plain functions of picklable arguments, so batches
can also be hashed in worker processes.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.audit import event_auth

try:  # the hashing core compiled (app/audit/_leafhash.c); without it the same leaves, slower
    from app.audit import _leafhash
except ImportError:  # pragma: no cover - built without a C compiler or OpenSSL's headers
    _leafhash = None

_TIME_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_TIME_START = len(_TIME_PREFIX)
_TIME_KEY = b'"timestamp":'
_TAG_LENGTH = event_auth._SUFFIX_LENGTH  # noqa: SLF001 - the one definition of the tag's size
_TAG_HEAD = b',"_auth":"'
_TAG_TAIL = b'"}'
_MESSAGE = '{"originator_id":"%s","state_sha256":"%s","topic":%s,"version":%d}'
_LEAF = ('\x00{"originator_id":"%s","position":%d,"recorded_at":"%s","state_sha256":"%s",'
         '"topic":%s,"version":%d}')
_HEX = frozenset("0123456789abcdef")


def pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hash states after the padded key (RFC 2104): copying them
    per message gives ``hmac.digest(key, message, "sha256")`` without re-keying."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\x00")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _canonical(raw: Any) -> str | None:
    """``app.audit.service.canonical_id`` for ids that are also plain JSON text (else None)."""
    if isinstance(raw, str):
        if len(raw) != 32:
            return None
        h = raw.lower()
        if not _HEX.issuperset(h):
            return None
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if isinstance(raw, UUID):
        return str(raw)
    return None


def leaves_of(rows: list[tuple[Any, ...]], keys: dict[str, bytes], retired: dict[str, int],
              required_after: int, keyring_id: str) -> list[bytes | None]:
    """The leaf hash of each row on the fast path, None where the full rules must decide.

    The compiled core (``_leafhash``, when built) answers the rows of the plain shape the ledger
    writes, byte for byte as ``python_leaves`` would; the rows it leaves go to ``python_leaves``.
    """
    if _leafhash is None or not rows:
        return python_leaves(rows, keys, retired, required_after, keyring_id)
    compiled = {kid.encode("ascii"): (key, retired.get(kid)) for kid, key in keys.items()
                if kid.isascii() and len(kid) == 16}
    out, missing = _leafhash.leaves(rows if type(rows) is list else list(rows), compiled,
                                    required_after, keyring_id)
    if missing:
        again = python_leaves([rows[i] for i in missing], keys, retired, required_after,
                              keyring_id)
        for i, leaf in zip(missing, again):
            out[i] = leaf
    return out


def python_leaves(rows: list[tuple[Any, ...]], keys: dict[str, bytes], retired: dict[str, int],
                  required_after: int, keyring_id: str) -> list[bytes | None]:
    """``leaves_of`` in Python alone (the reference the compiled core is tested against)."""
    hmac_pads = {kid.encode("ascii", "replace"): pads(key) for kid, key in keys.items()}
    sha256 = hashlib.sha256
    fromiso = datetime.fromisoformat
    compare = hmac.compare_digest
    topic_json = event_auth.topic_json
    ids: dict[Any, str | None] = {}
    topics: dict[str, str] = {}
    out: list[bytes | None] = []
    append = out.append
    for position, raw_id, version, topic, state in rows:
        if type(state) is not bytes:
            state = bytes(state)
        oid = ids.get(raw_id, "")
        if oid == "":
            oid = ids[raw_id] = _canonical(raw_id)
        if (oid is None or oid == keyring_id or type(version) is not int
                or type(position) is not int or type(topic) is not str
                or not state.startswith(_TIME_PREFIX) or state.find(_TIME_KEY, 14) != -1):
            append(None)
            continue
        end = state.find(b'"', _TIME_START)
        try:
            at = state[_TIME_START:end].decode("ascii")
            fromiso(at)
        except (ValueError, UnicodeDecodeError):
            append(None)
            continue
        if at[10:11] != "T" or not at.endswith("+00:00"):
            append(None)
            continue
        if len(at) == 25:  # whole seconds: written with microseconds, as ``iso`` does
            at = at[:19] + ".000000+00:00"
        elif len(at) != 32 or at[19] != ".":
            append(None)
            continue
        size = len(state)
        cut = size - _TAG_LENGTH
        tagged = (cut >= 0 and state.startswith(_TAG_HEAD, cut) and state.endswith(_TAG_TAIL)
                  and state[cut + 26] == 58)  # ':'
        if tagged:
            pair = hmac_pads.get(state[cut + 10:cut + 26])
            if pair is None:
                append(None)
                continue
            if retired:
                retired_at = retired.get(state[cut + 10:cut + 26].decode("ascii", "replace"))
                if retired_at is not None and position > retired_at:
                    append(None)
                    continue
            body = sha256(state[:cut])
            whole = body.copy()
            whole.update(state[cut:])
            body.update(b"}")
            tjson = topics.get(topic)
            if tjson is None:
                tjson = topics[topic] = topic_json(topic)
            inner = pair[0].copy()
            inner.update((_MESSAGE % (oid, body.hexdigest(), tjson, version)).encode())
            outer = pair[1].copy()
            outer.update(inner.digest())
            if not compare(outer.hexdigest().encode(), state[cut + 27:cut + 91]):
                append(None)
                continue
        else:
            if position > required_after:
                append(None)
                continue
            whole = sha256(state)
            tjson = topics.get(topic)
            if tjson is None:
                tjson = topics[topic] = topic_json(topic)
        append(sha256((_LEAF % (oid, position, at, whole.hexdigest(), tjson,
                                version)).encode()).digest())
    return out


# -- worker processes -----------------------------------------------------------------------------
# ``python -m app.audit.fast_verify`` hashes ranges of the log in a second process: it opens its
# own read-only connection, reads the raw rows of each position range it is sent and answers with
# their positions and leaves (32 zero bytes where the full rules must decide). Only this module and
# ``domain.audit.event_auth`` are imported there, so a worker starts in a fraction of a second.
# Messages are pickles over the worker's stdin/stdout (parent and child are the same program).

ZERO = bytes(32)


def range_sql(table: str, position: str, mark: str) -> str:
    """The raw rows of one position range ``[lo, hi)`` in log order."""
    return (f"SELECT {position}, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {table} WHERE {position} >= {mark} AND {position} < {mark} "
            f"ORDER BY {position}")


def _connect(spec: dict[str, Any]) -> Any:
    if spec["kind"] == "sqlite":
        import sqlite3

        from urllib.parse import quote

        db = sqlite3.connect(f"file:{quote(spec['path'])}?mode=ro", uri=True, timeout=30)
        db.execute("PRAGMA query_only = ON")
        return db
    import psycopg

    db = psycopg.connect(spec["dsn"], autocommit=True)
    db.execute("SET default_transaction_read_only = on")
    return db


def subtrees(joined: bytes, start: int, cuts: list[int]
             ) -> list[tuple[int, list[tuple[int, bytes]]]]:
    """The Merkle subtrees of leaves ``start…`` (``joined``: their 32-byte hashes in order) as
    ``(end, blocks)`` segments split at each size in ``cuts``: each block ``(size, root)`` is a
    perfect subtree aligned at its own size in the whole tree (RFC 6962 §2.1), so
    ``RootBuilder.add_subtree`` takes them in turn, and the root at ``end`` follows each segment."""
    end = start + len(joined) // 32
    at = bisect.bisect_right(cuts, start)
    bounds = [*cuts[at:bisect.bisect_left(cuts, end)], end]
    segments = []
    i = start
    for b in bounds:
        blocks = []
        while i < b:
            size = i & -i if i else 1 << (b - 1).bit_length()
            while i + size > b:
                size >>= 1
            blocks.append((size, perfect_root(joined[(i - start) * 32:(i - start + size) * 32])))
            i += size
        segments.append((b, blocks))
    return segments


def perfect_root(joined: bytes) -> bytes:
    """The root of a perfect tree over a power of two of 32-byte leaf hashes, joined."""
    if _leafhash is not None:
        return _leafhash.perfect_root(joined)
    return python_perfect_root(joined)


def python_perfect_root(joined: bytes) -> bytes:
    """``perfect_root`` in Python alone (the reference the compiled core is tested against)."""
    sha256 = hashlib.sha256
    while len(joined) > 32:
        joined = b"".join([sha256(b"\x01" + joined[k:k + 64]).digest()
                           for k in range(0, len(joined), 64)])
    return joined


def sealed_sql(kind: str) -> str:
    """The sealed leaves ``[first, end)`` (leaf indexes) as count, positions and leaf hashes,
    each aggregated into one string in log order."""
    inner = ("SELECT leaf_index, position, leaf_hash FROM audit_leaves "
             "WHERE leaf_index >= {m} AND leaf_index < {m} ORDER BY leaf_index")
    if kind == "sqlite":
        return ("SELECT count(*), group_concat(position, ','), group_concat(leaf_hash, '') "
                f"FROM ({inner.format(m='?')})")
    return ("SELECT count(*), string_agg(position::text, ',' ORDER BY leaf_index), "
            f"string_agg(leaf_hash, '' ORDER BY leaf_index) FROM ({inner.format(m='%s')}) AS s")


def hash_range(db: Any, sql: str, job: tuple[int, ...], config: dict[str, Any]
               ) -> tuple[bytes, bytes, list[int], list[Any] | None, bool]:
    """``(positions as int64 array bytes, leaves joined, indexes needing the full rules,
    subtree segments or None, whether the sealed leaves at the same indexes are these)`` of the
    range ``[lo, hi)``. The last two assume the range's first event is leaf ``start`` and are
    only given when no event needs the full rules; the caller uses them only when that holds."""
    from array import array

    lo, hi, start = job
    rows = db.execute(sql, (lo, hi)).fetchall()
    if rows and type(rows[0]) is not tuple:
        rows = [tuple(r) for r in rows]
    leaves = leaves_of(rows, config["keys"], config["retired"], config["required_after"],
                       config["keyring_id"])
    slow = [i for i, leaf in enumerate(leaves) if leaf is None]
    joined = b"".join([ZERO if leaf is None else leaf for leaf in leaves] if slow else leaves)
    packed = array("q", [r[0] for r in rows]).tobytes()
    if slow or not rows:
        return packed, joined, slow, None, False
    count, positions, hashes = db.execute(config["sealed_sql"],
                                          (start, start + len(rows))).fetchone()
    sealed = (count == len(rows) and hashes == joined.hex()
              and positions == ",".join([str(r[0]) for r in rows]))
    return packed, joined, slow, subtrees(joined, start, config["cuts"]), sealed


def worker_main() -> None:
    """Serve ranges until the parent closes stdin (or sends None)."""
    import pickle
    import sys

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    config = pickle.load(source)
    config["sealed_sql"] = sealed_sql(config["spec"]["kind"])
    db = _connect(config["spec"])
    sql = range_sql(config["table"], config["position"],
                    "?" if config["spec"]["kind"] == "sqlite" else "%s")
    while True:
        try:
            job = pickle.load(source)
        except EOFError:
            return
        if job is None:
            return
        pickle.dump(hash_range(db, sql, job, config), sink,
                    protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    worker_main()
