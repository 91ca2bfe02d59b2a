"""The evidence replica: read models replayed from the stored events alone, kept between uses.

Bundles' reports and auditors' samples never come from the live read-model tables, which
``verify`` does not cover (a forged ``UPDATE rm_change_requests …`` must not reach a bundle).
They used to replay the log up to the period's end into a scratch file for every bundle: a cost
that grew with where the period lies in the log (a day near the end of a 1M-event log replayed
~1M events, over a minute), not with the period.

The replica is that replay kept: a SQLite file in the instance folder (``evidence.sqlite3``)
that only this module writes, holding every read model replayed from the log through the same
projection classes (``DEFAULT_PROJECTIONS``) *with their history* (``projections/history.py``).
So the read models as they stood after any position up to the replica's own are the replica's
tables seen through temporary views of that position (as ``AsOfViews.versioned_at`` does for the
live tables): indexed queries, nothing replayed. Moving the replica forward replays only the
events since (``ProjectionRunner.advance``); ``govledger worker`` keeps it within
``EVERY_EVENTS`` of the sealed log (``keep_up``), so a bundle replays at most that many.

The replica is sealed: ``evidence.sqlite3.seal.json`` holds its position, the SHA-256 of the
file, the sealed leaf hash of the event at that position, the SHA-256 of the projection code
that replayed it, and an Ed25519 signature over them with the ledger's checkpoint key. Before
every use the file is hashed and the seal checked; a replica whose file, seal, key, log or
projection code does not match (edited, half-written by a crash, from another store, or
replayed by another release) is discarded and replayed from the start, with a warning. A
process-wide file lock (``evidence.sqlite3.lock``) lets one process at a time advance or read it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine

from app import json_codec
from app.audit.as_of import replay_into, seen_as_of
from domain.errors import NotFound
from projections.runner import DEFAULT_PROJECTIONS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

    from app.audit.service import Audit
    from app.config import Settings
    from projections.runner import EventLog

log = logging.getLogger(__name__)

FILENAME = "evidence.sqlite3"
FORMAT = "govledger-evidence/1"
EVERY_EVENTS = 10_000
"""``keep_up`` advances the replica once it is this many sealed events behind …"""
EVERY_SECONDS = 600.0
"""… or when it is behind at all and was last advanced this long ago."""


class EvidenceReplica:
    """The sealed replica of the read models (module docstring). One per running service
    (``Services.evidence``)."""

    def __init__(self, settings: Settings, ledger: EventLog, audit: Audit) -> None:
        self.ledger = ledger
        self.audit = audit
        self.path: Path = settings.instance_path / FILENAME
        self.seal_path = self.path.with_name(FILENAME + ".seal.json")
        self.lock_path = self.path.with_name(FILENAME + ".lock")
        self._lock = threading.Lock()
        self._advanced = time.monotonic()  # this process's last advance (or its start)
        self.last_replayed = 0
        """Events the last ``view`` or ``keep_up`` of this process replayed (0: none)."""

    # -- use ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def view(self, position: int) -> Iterator[Engine]:
        """An engine over the read models replayed from the log as they stood after
        ``position`` (a sealed position): the replica, checked and advanced to ``position``
        first if it is behind. Read only; the replica stays locked while it is open."""
        with self._locked():
            self._ready(position)
            engine = create_engine(f"sqlite:///{self.path}", json_deserializer=json_codec.loads)
            seen_as_of(engine, [t for p in DEFAULT_PROJECTIONS for t in p.tables], position)
            try:
                yield engine
            finally:
                engine.dispose()

    def keep_up(self) -> int:
        """Advance the replica to the sealed log when it is ``EVERY_EVENTS`` behind, or behind
        at all ``EVERY_SECONDS`` after this process last advanced it; returns how many events
        it replayed (background work: ``app/background.py``)."""
        target = self._sealed_head()
        if target <= 0:
            return 0
        with self._locked():
            seal = self._seal()
            at = seal["position"] if seal else 0
            behind = target - at
            if behind <= 0 or (behind < EVERY_EVENTS
                               and time.monotonic() - self._advanced < EVERY_SECONDS):
                return 0
            self._ready(target)
            return self.last_replayed

    def position(self) -> int:
        """The position the replica's seal says it holds (0: none yet). Not checked."""
        seal = self._seal()
        return seal["position"] if seal else 0

    # -- the replica --------------------------------------------------------------------------

    def _ready(self, position: int) -> None:
        """Make the replica hold at least ``position``: check it, discard it if it fails, and
        replay what it lacks."""
        self.last_replayed = 0
        seal = self._checked_seal()
        if seal is not None and seal["position"] >= position:
            return
        fresh = seal is None
        if fresh:
            for path in (self.path, self.seal_path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        else:
            self.seal_path.unlink()  # the file changes from here: unsealed until resealed
        start = 0 if fresh else seal["position"]  # type: ignore[index]
        replay_into(str(self.path), self.ledger, position, fresh).dispose()
        self.last_replayed = position - start
        self._advanced = time.monotonic()
        self._write_seal(position)

    def _checked_seal(self) -> dict[str, Any] | None:
        """The replica's seal when the file, the seal and the log all agree; else None (and
        why, logged as a warning, when there was a replica)."""
        seal = self._seal()
        if seal is None:
            if self.path.exists():
                log.warning("evidence replica %s has no seal (an interrupted replay?): "
                            "replaying it from the start", self.path)
            return None
        problem = self._problem(seal)
        if problem is not None:
            log.warning("evidence replica %s discarded, replaying it from the start: %s",
                        self.path, problem)
            return None
        return seal

    def _problem(self, seal: dict[str, Any]) -> str | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if seal.get("format") != FORMAT:
            return f"unknown format {seal.get('format')!r}"
        if seal.get("projections") != projection_code():
            return "it was replayed by other projection code (another release)"
        pem = self.audit.public_keys()["keys"].get(seal.get("key_id"))
        if pem is None:
            return f"signed with key {seal.get('key_id')!r}, which the ledger does not know"
        try:
            load_pem_public_key(pem.encode()).verify(  # type: ignore[union-attr]
                bytes.fromhex(seal["signature"]), _body(seal))
        except (InvalidSignature, ValueError, KeyError, TypeError):
            return "its seal's signature does not verify"
        if _digest(self.path) != seal["sha256"]:
            return "its file's SHA-256 is not the sealed one (the file was changed)"
        try:
            leaf = self.audit.leaf_at(seal["position"])["leaf_hash"] if seal["position"] else ""
        except NotFound:
            return f"position {seal['position']} is not in this ledger's sealed log"
        if leaf != seal["leaf_hash"]:
            return f"the event at position {seal['position']} is not the one it was replayed to"
        return None

    def _seal(self) -> dict[str, Any] | None:
        try:
            seal = json.loads(self.seal_path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return seal if isinstance(seal, dict) and isinstance(seal.get("position"), int) else None

    def _write_seal(self, position: int) -> None:
        key = self.audit.ensure_key()
        from app.audit.service import key_id_of

        seal = {"format": FORMAT, "projections": projection_code(),
                "position": position, "sha256": _digest(self.path),
                "leaf_hash": self.audit.leaf_at(position)["leaf_hash"] if position else "",
                "key_id": key_id_of(key.public_key())}
        seal["signature"] = key.sign(_body(seal)).hex()
        partial = self.seal_path.with_name(self.seal_path.name + ".partial")
        partial.write_text(json.dumps(seal, indent=2))
        os.replace(partial, self.seal_path)

    def _sealed_head(self) -> int:
        from sqlalchemy import func, select

        from app.audit.service import audit_leaves

        with self.audit.engine.connect() as conn:
            return int(conn.scalar(select(func.max(audit_leaves.c.position))) or 0)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.lock_path, "a") as lock:  # noqa: PTH123
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _body(seal: dict[str, Any]) -> bytes:
    return (f"{FORMAT}\nprojections {seal['projections']}\nposition {seal['position']}\n"
            f"sha256 {seal['sha256']}\nleaf {seal['leaf_hash']}\nkey {seal['key_id']}\n"
            ).encode()


@functools.cache
def projection_code() -> str:
    """SHA-256 of the source of the ``projections`` package: a replica replayed by other
    projection code (a release that changed a handler or a table) is replayed again."""
    import projections

    root = Path(projections.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _digest(path: Path) -> str:
    try:
        with open(path, "rb") as f:  # noqa: PTH123
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return ""
