"""Tamper evidence: canonical leaf encoding, the sealer, signed checkpoints, proofs, verification.

The sealer follows the notification log in its one total order, appends one leaf per stored event
to ``audit_leaves`` and writes Ed25519-signed checkpoints (tree size, root, time) to
``audit_checkpoints``. Neither table is a read model: both are append-only and never rebuilt (a
rebuild would re-derive leaves from possibly tampered events). ``verify`` trusts neither table nor
the events: it recomputes every leaf from the stored events and checks each signed root, each
signature and the consistency between successive checkpoints. See docs/AUDIT.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.application import AggregateNotFoundError
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.audit.witness import Witnesses
from app.config import eventsourcing_env
from app.paging import DEFAULT_LIMIT, fetch_page
from app.audit import fast_verify
from domain.audit import event_auth, merkle
from domain.audit.keys import EVENT_KEYRING_ID, KEYRING_ID, EventKeyring, SigningKeyring
from domain.base import now
from domain.errors import NotFound
from projections.runner import plain_rows

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from sqlalchemy import Engine

    from app.config import Settings
    from app.ledger import Ledger

Progress = Callable[[int], None]
logger = logging.getLogger(__name__)

ORIGIN = "Governance Ledger"
"""First line of every checkpoint note (C2SP signed-note style)."""
KEY_FILENAME = "ledger_signing_key.pem"
EVENT_KEY_FILENAME = "ledger_event_key.json"
"""The event-authentication key file, beside the signing key (mode 0600, never in the database)."""
SEAL_EVERY_EVENTS = 1000
SEAL_EVERY_SECONDS = 60.0
BATCH = 1000
UNTAGGED = ("it carries no authentication tag, so the service did not write it (a row inserted "
            "straight into the events table)")
VERIFY_BATCH = 20000
"""Stored events read per query by ``verify`` (raw rows: no event objects, no JSON decoding)."""

audit_metadata = MetaData()

audit_leaves = Table(
    "audit_leaves",
    audit_metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("leaf_hash", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("recorded_at", String(32), nullable=False),
    Column("watermark", String(32), nullable=False, index=True),
)
"""One row per sealed event, in log order: its leaf hash, the hash of its content without the
position (to tell a move from a change), its recorded time and the running maximum of recorded
times up to it (``watermark``: the as-of index, non-decreasing in log order)."""

Index("ix_audit_leaves_recorded_at", audit_leaves.c.recorded_at)  # a bundle's period

NODE_LEVEL = 8
"""``audit_nodes`` holds the root of every perfect, aligned subtree of ``2**NODE_LEVEL`` (256)
sealed leaves and up: any proof or root then needs O(log n) stored nodes plus at most a few
hundred leaves at its edges, never the whole log."""

audit_nodes = Table(
    "audit_nodes",
    audit_metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("node_index", BigInteger, primary_key=True, autoincrement=False),
    Column("node_hash", String(64), nullable=False),
)
"""Roots of perfect subtrees of the sealed leaves: node (L, i) is the root of leaves
``[i * 2**L, (i + 1) * 2**L)``, for L >= ``NODE_LEVEL``. Derived from ``audit_leaves`` by the
sealer (``Audit.extend_nodes``); like the leaves, trusted by nothing that checks: every proof
made from them is checked against a signed root."""

audit_checkpoints = Table(
    "audit_checkpoints",
    audit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False, index=True),
    Column("root_hash", String(64), nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("signature", String(100), nullable=False),
)
"""Signed checkpoints, append-only: ``body`` is the signed note, ``signature`` its Ed25519
signature (base64)."""


# -- canonical encoding ---------------------------------------------------------------------------

def iso(value: datetime) -> str:
    """UTC ISO 8601 with microseconds and ``+00:00`` (fixed width: sorts in time order)."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


_TIME_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_TIME_KEY = b'"timestamp":'


def recorded_time(state: bytes, decode: Callable[[], datetime] | None = None) -> str:
    """The event time the ledger recorded in the stored state (``timestamp``), normalised.

    The ledger's transcoder writes ``timestamp`` first: that value is read without decoding
    the whole state when the key occurs once; anything else is decoded in full (same result).
    """
    if state.startswith(_TIME_PREFIX) and state.find(_TIME_KEY, 14) == -1:
        start = len(_TIME_PREFIX)
        try:
            raw = state[start:state.find(b'"', start)].decode()
            moment = datetime.fromisoformat(raw)
        except (ValueError, UnicodeDecodeError):
            pass
        else:
            if raw[10:11] == "T" and raw.endswith("+00:00"):
                if len(raw) == 32 and raw[19] == ".":
                    return raw  # already iso(moment)
                if len(raw) == 25:
                    return raw[:19] + ".000000+00:00"
            return iso(moment)
    try:
        raw = json.loads(state)["timestamp"]["_data_"]
        return iso(datetime.fromisoformat(raw))
    except (ValueError, KeyError, TypeError):
        if decode is None:
            return "undecodable"
        try:
            return iso(decode())
        except Exception:  # noqa: BLE001 - a damaged record still gets a (different) leaf
            return "undecodable"


def leaf_record(position: int, originator_id: UUID | str, version: int, topic: str,
                state: bytes, recorded_at: str) -> dict[str, Any]:
    """The fields a leaf commits to (documented in docs/AUDIT.md)."""
    return {"position": int(position), "originator_id": str(originator_id).lower(),
            "version": int(version), "topic": topic,
            "state_sha256": hashlib.sha256(state).hexdigest(), "recorded_at": recorded_at}


def leaf_of(record: dict[str, Any]) -> bytes:
    """Leaf hash: SHA-256(0x00 || canonical JSON of the record)."""
    return merkle.leaf_hash(canonical(record))


def fast_leaf(position: int, originator_id: str, version: int, topic: str, state_sha256: str,
              recorded_at: str) -> bytes:
    """``leaf_of(leaf_record(...))`` without building the record: the canonical JSON written
    directly (keys in sorted order), for a canonical (lower-case UUID) originator id."""
    return hashlib.sha256(
        f'\x00{{"originator_id":"{originator_id}","position":{position},'
        f'"recorded_at":{_json_text(recorded_at)},"state_sha256":"{state_sha256}",'
        f'"topic":{event_auth.topic_json(topic)},"version":{version}}}'.encode()).digest()


def _json_text(value: str) -> str:
    """A recorded time as JSON (an ISO time or ``undecodable`` needs no escaping)."""
    return f'"{value}"' if value.isascii() and value.isprintable() and '"' not in value and \
        "\\" not in value else json.dumps(value)


def canonical_id(raw: Any) -> str | None:
    """A stored originator id as ``str(UUID).lower()``, or None when it is not one (SQLite
    keeps 32 hex digits, PostgreSQL a uuid)."""
    if isinstance(raw, UUID):
        return str(raw)
    if isinstance(raw, str) and len(raw) == 32:
        h = raw.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return None


def content_of(record: dict[str, Any]) -> str:
    """Hash of a record without its position (finds an event that moved)."""
    return hashlib.sha256(canonical({k: v for k, v in record.items()
                                     if k != "position"})).hexdigest()


def checkpoint_body(size: int, root: bytes, issued_at: str, key_id: str) -> str:
    """The signed note: origin, size, base64 root, then time and key id lines."""
    return (f"{ORIGIN}\n{size}\n{base64.b64encode(root).decode()}\n"
            f"time {issued_at}\nkey {key_id}\n")


NOTE_KEY_NAME = "governance-ledger"
"""The key name on exported signed notes (C2SP signed-note: no spaces, no plus sign)."""


def note_key_hash(name: str, public: Ed25519PublicKey) -> bytes:
    """C2SP signed-note key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]


def signed_note(cp: dict[str, Any], public: Ed25519PublicKey) -> str:
    """A checkpoint as a C2SP signed note (tlog-checkpoint body, then its signature line)."""
    sig = base64.b64encode(note_key_hash(NOTE_KEY_NAME, public)
                           + base64.b64decode(cp["signature"])).decode()
    return f"{cp['body']}\n\u2014 {NOTE_KEY_NAME} {sig}\n"


def parse_notes(text_: str) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Split a file of signed notes into ``(body, [(key name, key hash + signature)])``."""
    notes: list[tuple[str, list[tuple[str, bytes]]]] = []
    lines = text_.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        body = []
        while i < len(lines) and lines[i] != "":
            body.append(lines[i])
            i += 1
        i += 1  # the blank line
        sigs = []
        while i < len(lines) and lines[i].startswith("\u2014 "):
            name, _, value = lines[i][2:].rpartition(" ")
            try:
                sigs.append((name, base64.b64decode(value, validate=True)))
            except ValueError:
                sigs.append((name, b""))
            i += 1
        notes.append(("\n".join(body) + "\n", sigs))
    return notes


def key_id_of(public: Ed25519PublicKey) -> str:
    """Short id of a public key: the first 8 bytes of SHA-256 of its raw form, hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM (what ``openssl pkeyutl -pubin`` reads)."""
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# -- verification report --------------------------------------------------------------------------

@dataclass
class Problem:
    """One thing verification found wrong."""

    kind: str
    position: int | None
    detail: str
    checkpoint: int | None = None
    """The number (id) of the checkpoint concerned, when there is one."""
    checkpoint_time: str | None = None

    def line(self) -> str:
        if self.position is not None:
            where = f"position {self.position}"
        elif self.checkpoint is not None:
            where = f"checkpoint {self.checkpoint} (signed {self.checkpoint_time})"
        else:
            where = "ledger"
        return f"{where}: {self.kind}: {self.detail}"

    @property
    def next_step(self) -> str:
        """What the operator should do about it."""
        return NEXT_STEPS.get(self.kind, NEXT_STEPS["changed"])


NEXT_STEPS = {
    "changed": "Compare the named event with a verified backup, restore the store from the "
               "last backup that verifies, and find out who had write access to the database.",
    "inserted": "A row was added to the events table after sealing: restore from a verified "
                "backup (or delete the row once explained) and review database access.",
    "missing": "Events were deleted from the log: restore them from a verified backup.",
    "reordered": "Events were swapped in the events table: restore from a verified backup.",
    "unauthenticated": "The row was not written by the service (no valid tag under the event "
                       "key): sealing stops before it. Remove the row or restore from a "
                       "verified backup, then run `govledger seal`.",
    "root_mismatch": "The events no longer give the signed root: restore from a verified "
                     "backup; the named position is where the difference starts.",
    "bad_signature": "A checkpoint row was edited (or signed by an unknown key): restore the "
                     "audit_checkpoints table from a backup and check `govledger keys show` "
                     "against the published keys.",
    "sealed_leaves_mismatch": "audit_leaves was edited: restore it from a backup (the events "
                              "themselves verify against the signed roots).",
    "rewritten": "Today's log does not extend a checkpoint a witness kept: history was "
                 "rewritten after it was witnessed. Treat the store as compromised: restore it "
                 "from a backup that verifies against the kept checkpoint, rotate both keys "
                 "(`govledger keys rotate`, `govledger keys rotate-event-key`) and find out "
                 "who had access to the database and the key files.",
    "bad_note": "The kept file holds something that is not a checkpoint note: get the file "
                "again from the witness (or `govledger checkpoint export` output kept earlier) "
                "and run `govledger verify --against FILE` again.",
    "inconsistent": "A checkpoint does not extend the one before: history was rewritten "
                    "between them; restore from a backup and compare with witnessed "
                    "checkpoints (`govledger verify --against FILE`).",
}


@dataclass
class VerifyReport:
    """What ``verify`` checked and what it found."""

    events: int = 0
    sealed: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The problem at the lowest position (ledger-wide ones last)."""
        if not self.problems:
            return None
        return min(self.problems, key=_order)

    def as_dict(self) -> dict[str, Any]:
        first = self.first
        return {"ok": self.ok, "events": self.events, "sealed": self.sealed,
                "checkpoints": self.checkpoints,
                "first_bad_position": first.position if first else None,
                "first_bad_checkpoint": first.checkpoint if first else None,
                "next_step": first.next_step if first else None,
                "problems": [p.__dict__ for p in self.problems]}

    def lines(self) -> list[str]:
        head = (f"{self.events} events, {self.sealed} sealed, {self.checkpoints} checkpoints: ")
        if self.ok:
            return [head + "intact"]
        first = self.first
        assert first is not None
        where = f"first bad position: {first.position}"
        if first.position is None and first.checkpoint is not None:
            where = (f"first bad position: none in the events; first bad checkpoint: "
                     f"{first.checkpoint} (signed {first.checkpoint_time})")
        return [head + f"TAMPERED; {where}",
                *[p.line() for p in sorted(self.problems, key=_order)],
                f"What to do next: {first.next_step}"]


def _order(p: Problem) -> tuple[bool, int, bool]:
    """Lowest position first; a leaf-level finding before a root mismatch at the same place."""
    return (p.position is None, p.position or 0,
            p.kind in ("root_mismatch", "unauthenticated"))


# -- the service ----------------------------------------------------------------------------------

class Audit:
    """Sealer, signer, prover and verifier over one ledger's log; records its signing keys."""

    def __init__(self, settings: Settings, ledger: Ledger, engine: Engine) -> None:
        self.settings = settings
        self.ledger = ledger
        self.engine = engine
        extra = settings.extra
        self.every_events = int(extra.get("seal_every_events", SEAL_EVERY_EVENTS))
        self.every_seconds = float(extra.get("seal_every_seconds", SEAL_EVERY_SECONDS))
        audit_metadata.create_all(self.engine)
        for index in audit_leaves.indexes:  # indexes added to a table that already existed
            try:
                index.create(self.engine, checkfirst=True)
            except DBAPIError:  # another process starting at the same moment made it first
                if not inspect(self.engine).has_index("audit_leaves", index.name):
                    raise
        self._tree: merkle.Tree | None = None
        self._tree_lock = threading.Lock()
        self.blocked: Problem | None = None
        """The first event the sealer refused (it does not authenticate), or None."""
        self._install_event_key()
        self.witnesses = Witnesses(settings.witnesses, engine,
                                   lambda old, new: self._proof(
                                       new, lambda t: t.consistency(old, new))[1], now)
        self.witnessed: list[dict[str, Any]] = []
        """The results of the last checkpoint pushed to the witnesses while the caller
        waited (``seal(witness="now")``, ``push_to_witnesses``)."""

    # -- event authentication ---------------------------------------------------------------------

    @property
    def event_key_path(self) -> Path:
        return self.settings.instance_path / EVENT_KEY_FILENAME

    def _install_event_key(self) -> None:
        """Load (or create) the event key and have the ledger tag every event it writes.

        A new key file records ``required_after``: the log's head when the key was made. Events
        up to it were written before events were authenticated (an old store); every later one
        must carry a valid tag.
        """
        path = self.event_key_path
        if not path.exists():
            head = int(self.ledger.recorder.max_notification_id() or 0)
            key = os.urandom(32)
            kid = event_auth.key_id_of(key)
            data = {"current": kid, "keys": {kid: key.hex()}, "required_after": head,
                    "created_at": iso(now())}
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: use theirs
            else:
                with os.fdopen(fd, "w") as fh:
                    json.dump(data, fh)
        self._retired: dict[str, int] | None = None
        self._load_event_keys()
        mapper = self.ledger.mapper
        if hasattr(mapper, "key_source"):
            mapper.key_source = self.current_event_key

    def _load_event_keys(self) -> None:
        path = self.event_key_path
        self._event_key_stamp = path.stat().st_mtime_ns
        data = json.loads(path.read_text())
        self._event_keys = {k: bytes.fromhex(v) for k, v in data["keys"].items()}
        self.auth_required_after = int(data["required_after"])
        self.event_key_id: str = data["current"]
        mapper = self.ledger.mapper
        if hasattr(mapper, "event_key"):
            mapper.event_key = self._event_keys[self.event_key_id]

    def current_event_key(self) -> bytes:
        """The key new events are tagged with, re-read when the key file changed (a rotation
        by another process)."""
        try:
            stamp = self.event_key_path.stat().st_mtime_ns
        except OSError:
            stamp = self._event_key_stamp
        if stamp != self._event_key_stamp:
            self._load_event_keys()
            self._retired = None
        return self._event_keys[self.event_key_id]

    def rotate_event_key(self) -> str:
        """Add a new event key, tag new events with it and record the rotation as an event
        (``EventKeyring.KeyRotated``, key ids only); the old key stays in the file so earlier
        events still verify, but an event after the rotation tagged with it does not. Admins
        or the system; returns the new key id."""
        self.ledger.writer("admin")
        path = self.event_key_path
        data = json.loads(path.read_text())
        previous = data["current"]
        key = os.urandom(32)
        key_id = event_auth.key_id_of(key)
        data["keys"][key_id] = key.hex()
        data["current"] = key_id
        data.setdefault("rotations", []).append({"from": previous, "to": key_id,
                                                 "at": iso(now())})
        tmp = path.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        self._load_event_keys()
        try:
            keyring = self.ledger.repository.get(EVENT_KEYRING_ID)
        except AggregateNotFoundError:
            keyring = EventKeyring(key_id=previous)
        keyring.rotate(key_id)
        self.ledger.save(keyring)
        self._retired = None
        return key_id

    def event_keys(self) -> dict[str, Any]:
        """The event keys' ids (never the keys): the current one and when each was retired."""
        return {"current": self.event_key_id, "key_ids": sorted(self._event_keys),
                "retired_after": self._retired_keys()}

    def _retired_keys(self) -> dict[str, int]:
        """Each retired event key id and the position of the rotation that retired it (from
        the keyring's events in the log)."""
        if self._retired is None:
            retired: dict[str, int] = {}
            try:
                history = list(self.ledger.repository.event_store.get(EVENT_KEYRING_ID))
                positions = self.positions_of(EVENT_KEYRING_ID)
            except Exception:  # noqa: BLE001 - a damaged keyring is reported by verify
                history, positions = [], {}
            for e in history:
                if isinstance(e, EventKeyring.KeyRotated):
                    retired[e.previous_key_id] = positions.get(e.originator_version, 0)
            self._retired = retired
        return self._retired

    def authenticate(self, n: Any) -> str | None:
        """None when the stored event ``n`` authenticates, else why not."""
        state = n.state.encode() if isinstance(n.state, str) else bytes(n.state)
        return self._auth_reason(n.id, n.originator_id, n.originator_version, n.topic, state)

    def _auth_reason(self, position: int, originator_id: Any, version: int, topic: str,
                     state: bytes) -> str | None:
        """Why the stored event at ``position`` does not authenticate (None: it does); the one
        rule used by both ``authenticate`` and the fast verify loop."""
        reason = event_auth.check(self._event_keys, originator_id, version, topic, state)
        if reason is not None and reason.startswith("tagged with unknown event key"):
            self.current_event_key()  # another process may have rotated the key
            reason = event_auth.check(self._event_keys, originator_id, version, topic, state)
        if str(originator_id) == str(EVENT_KEYRING_ID):
            self._retired = None  # a keyring event: retirements may have changed
        if reason is None and self._retired_keys():
            key_id = event_auth.split(state)[1]
            retired_at = self._retired.get(key_id or "") if self._retired else None
            if retired_at is not None and position > retired_at:
                return (f"tagged with event key {key_id}, which was retired by the rotation "
                        f"at position {retired_at}: only a holder of the old key could have "
                        f"written it")
        if reason == "untagged" and position <= self.auth_required_after:
            return None  # written before events were authenticated (covered by checkpoints)
        if reason == "untagged":
            return UNTAGGED
        return reason

    # -- signing keys in the log ----------------------------------------------------------------

    def register_signing_key(self, key_id: str, public_key_pem: str) -> dict[str, Any]:
        """Record a new checkpoint-signing key (the first, or a rotation); admins or the system."""
        self.ledger.writer("admin")
        try:
            keyring = self.ledger.repository.get(KEYRING_ID)
        except AggregateNotFoundError:
            keyring = SigningKeyring(key_id=key_id, public_key_pem=public_key_pem)
        else:
            keyring.rotate(key_id, public_key_pem)
        self.ledger.save(keyring)
        return {"key_id": key_id}

    def authorize_seal(self) -> None:
        """Sealing on demand is for admins (it appends no event, but it signs)."""
        self.ledger.writer("admin")

    def signing_keys(self) -> dict[str, Any]:
        """Every key that ever signed checkpoints and the current one."""
        try:
            keyring = self.ledger.repository.get(KEYRING_ID)
        except AggregateNotFoundError:
            return {"current": None, "keys": {}}
        return {"current": keyring.current, "keys": dict(keyring.keys)}

    # -- keys -------------------------------------------------------------------------------------

    @property
    def key_path(self) -> Path:
        return self.settings.instance_path / KEY_FILENAME

    def ensure_key(self) -> Ed25519PrivateKey:
        """Load the signing key, creating it (mode 0600) and recording it in the log if needed."""
        path = self.key_path
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
        else:
            key = Ed25519PrivateKey.generate()
            _write_private(path, key)
        key_id = key_id_of(key.public_key())
        if key_id not in self.signing_keys()["keys"]:
            with self.ledger.as_system(reason="checkpoint signing key in use"):
                self.register_signing_key(key_id, public_pem(key.public_key()))
        return key

    def rotate_key(self) -> str:
        """Replace the signing key (the old private key is destroyed); returns the new key id."""
        self.ensure_key()
        key = Ed25519PrivateKey.generate()
        tmp = self.key_path.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        _write_private(tmp, key)
        key_id = key_id_of(key.public_key())
        with self.ledger.as_system(reason="signing key rotation"):
            self.register_signing_key(key_id, public_pem(key.public_key()))
        os.replace(tmp, self.key_path)
        self.seal(force=True)
        return key_id

    def public_keys(self) -> dict[str, Any]:
        """The current key and every earlier one, as PEM."""
        return self.signing_keys()

    # -- sealing ----------------------------------------------------------------------------------

    def index(self, progress: Progress | None = None) -> int:
        """Append a leaf for every event not yet sealed; returns how many were added."""
        self.current_event_key()  # follow an event-key rotation made by another process
        added = 0
        while True:
            with self.engine.connect() as conn:
                last = conn.execute(select(audit_leaves).order_by(
                    audit_leaves.c.leaf_index.desc()).limit(1)).first()
            next_index = last.leaf_index + 1 if last else 0
            watermark = last.watermark if last else ""
            start = last.position + 1 if last else 1
            batch = self.ledger.recorder.select_notifications(start=start, limit=BATCH)
            if not batch:
                return added
            rows = []
            refused = None
            for n in batch:
                reason = self.authenticate(n)
                if reason is not None:
                    refused = Problem("unauthenticated", n.id, reason)
                    break
            if refused is not None:
                batch = [n for n in batch if n.id < refused.position]  # type: ignore[operator]
                if self.blocked is None or self.blocked.position != refused.position:
                    logger.error("NOT SEALING from position %s on: %s. Run `govledger verify` "
                                 "and remove or explain the row before sealing again.",
                                 refused.position, refused.detail)
                self.blocked = refused
            else:
                self.blocked = None
            for i, n in enumerate(batch):
                record = self._record(n)
                if record["recorded_at"][:1].isdigit():
                    watermark = max(watermark, record["recorded_at"])
                rows.append({"leaf_index": next_index + i, "position": n.id,
                             "leaf_hash": leaf_of(record).hex(),
                             "content_hash": content_of(record),
                             "recorded_at": record["recorded_at"], "watermark": watermark})
            if rows:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(audit_leaves), rows)
                except IntegrityError:
                    return added  # another sealer got there first
            added += len(rows)
            if progress is not None:
                progress(len(rows))
            if refused is not None:
                return added

    def _record(self, n: Any) -> dict[str, Any]:
        state = n.state.encode() if isinstance(n.state, str) else bytes(n.state)
        return leaf_record(n.id, n.originator_id, n.originator_version, n.topic, state,
                           recorded_time(state,
                                         lambda: self.ledger.mapper.to_domain_event(n).timestamp))

    def latest(self) -> dict[str, Any] | None:
        """The latest checkpoint, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_checkpoints).order_by(
                audit_checkpoints.c.tree_size.desc(), audit_checkpoints.c.id.desc()
            ).limit(1)).first()
        return _checkpoint(row) if row else None

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every checkpoint, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_checkpoints).order_by(
                audit_checkpoints.c.tree_size, audit_checkpoints.c.id)).all()
        return [_checkpoint(r) for r in rows]

    def checkpoint_page(self, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
                        newest_first: bool = False) -> dict[str, Any]:
        """One page of checkpoints (oldest first, or newest first), with how many there are."""
        c = audit_checkpoints.c
        order = (c.tree_size.desc(), c.id.desc()) if newest_first else (c.tree_size, c.id)
        return fetch_page(self.engine, select(audit_checkpoints).order_by(*order), limit=limit,
                          offset=offset, convert=_checkpoint,
                          total=select(func.count()).select_from(audit_checkpoints))

    def checkpoint_of_size(self, tree_size: int) -> dict[str, Any] | None:
        """The first checkpoint signed over ``tree_size`` leaves (None: there is none)."""
        c = audit_checkpoints.c
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_checkpoints).where(c.tree_size == tree_size)
                               .order_by(c.id).limit(1)).first()
        return _checkpoint(row) if row is not None else None

    def sealed_size(self) -> int:
        """How many leaves the sealer has appended."""
        with self.engine.connect() as conn:
            last = conn.scalar(select(func.max(audit_leaves.c.leaf_index)))
        return 0 if last is None else int(last) + 1

    def seal(self, force: bool = False, create_key: bool = True,
             witness: str = "background") -> dict[str, Any] | None:
        """Append new leaves; sign a checkpoint when N events or T seconds passed, or if forced.
        With ``create_key=False`` (after web commands) no key is created: without one, only the
        leaves are appended. A new checkpoint goes to the configured witnesses
        (``witness``: ``background``, ``now`` — results in ``self.witnessed`` — or ``off``)."""
        self.index()
        size = self.sealed_size()
        latest = self.latest()
        if latest is not None and latest["tree_size"] == size and not force:
            return None
        if not force and latest is not None:
            due_by_count = size - latest["tree_size"] >= self.every_events
            due_by_time = now() - datetime.fromisoformat(latest["issued_at"]) >= timedelta(
                seconds=self.every_seconds)
            if not (due_by_count or due_by_time):
                return None
        if not create_key and not self.key_path.exists():
            return None
        key = self.ensure_key()
        self.index()  # the key's own event, if it was just recorded
        size = self.sealed_size()
        root = self._root_for_seal(size, latest)
        issued_at = iso(now())
        key_id = key_id_of(key.public_key())
        body = checkpoint_body(size, root, issued_at, key_id)
        signature = base64.b64encode(key.sign(body.encode())).decode()
        with self.engine.begin() as conn:
            conn.execute(insert(audit_checkpoints).values(
                tree_size=size, root_hash=root.hex(), issued_at=issued_at, key_id=key_id,
                body=body, signature=signature))
        latest = self.latest()
        if latest is not None and self.witnesses.witnesses and witness != "off":
            note = signed_note(latest, key.public_key())
            if witness == "now":
                self.witnessed = self.witnesses.push(latest, note)
            else:
                self.witnesses.push_in_background(latest, note)
        return latest

    def _root_for_seal(self, size: int, latest: dict[str, Any] | None) -> bytes:
        """The root of the first ``size`` sealed leaves, from the stored subtree roots when
        they prove that the new tree extends the latest checkpoint (bounded memory); otherwise
        from every sealed leaf, as before (a damaged node table changes nothing)."""
        try:
            self.extend_nodes()
            tree = self.stored_tree(size)
            root = tree.root(size)
            if latest is None or latest["tree_size"] > size:
                return self.tree(size).root(size)
            first = latest["tree_size"]
            if merkle.verify_consistency(first, size, bytes.fromhex(latest["root_hash"]), root,
                                         tree.consistency(first, size)):
                return root
        except (ValueError, IntegrityError):
            pass
        logger.warning("the stored subtree roots do not extend checkpoint %s: sealing from "
                       "every leaf", latest["id"] if latest else None)
        return self.tree(size).root(size)

    def extend_nodes(self) -> int:
        """Store the roots of the perfect aligned subtrees (of ``2**NODE_LEVEL`` leaves and up)
        completed since the last call, reading only the new leaves; returns how many."""
        block = 1 << NODE_LEVEL
        c = audit_nodes.c
        with self.engine.connect() as conn:
            have = conn.scalar(select(func.max(c.node_index)).where(c.level == NODE_LEVEL))
        done = 0 if have is None else int(have) + 1
        blocks = self.sealed_size() // block
        added = 0
        while done < blocks:
            upto = min(blocks, done + 64)
            hashes = self.leaf_hashes(upto * block, start=done * block)
            if len(hashes) != (upto - done) * block:
                return added  # a gap in the sealed leaves: verify says what is wrong
            new: dict[tuple[int, int], bytes] = {}
            for k in range(done, upto):
                node = merkle.root(hashes[(k - done) * block:(k - done + 1) * block])
                level, index = NODE_LEVEL, k
                new[(level, index)] = node
                while index & 1:  # a right child completes its parent
                    left = new.get((level, index - 1)) or self._node(level, index - 1)
                    if left is None:
                        break
                    level, index = level + 1, index >> 1
                    node = new[(level, index)] = merkle.node_hash(left, node)
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(audit_nodes), [
                        {"level": lv, "node_index": ix, "node_hash": h.hex()}
                        for (lv, ix), h in new.items()])
            except IntegrityError:
                return added  # another sealer stored them first
            added += len(new)
            done = upto
        return added

    def _node(self, level: int, index: int) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.scalar(select(audit_nodes.c.node_hash).where(
                audit_nodes.c.level == level, audit_nodes.c.node_index == index))
        return None if value is None else bytes.fromhex(value)

    def stored_tree(self, size: int) -> merkle.Tree:
        """A proof tree over the first ``size`` sealed leaves that reads stored subtree roots
        and only the leaves it needs (bounded memory, whatever the log's length)."""
        return _StoredTree(self, size)

    def proof_tree(self, size: int) -> merkle.Tree:
        """The tree proofs over the first ``size`` sealed leaves are read from: the kept tree
        when this process already holds those leaves, else the stored subtree roots and the
        few leaf blocks a proof needs. A process that never sealed no longer loads every leaf
        hash for its first history page or proof (3–7 s and ~100 MB per process at 1M).
        Callers that can check a proof against a signed root fall back to ``tree`` when it
        does not verify, so a damaged node table changes no answer."""
        kept = self._tree
        if kept is not None and len(kept.leaves) >= size:
            return self.tree(size)
        return self.stored_tree(size)

    def _proof(self, size: int, make: Callable[[merkle.Tree], Any]) -> tuple[merkle.Tree, Any]:
        """``make(tree)`` over ``proof_tree(size)``, or over every leaf when the stored leaves
        of a block are not contiguous (verify says what is wrong)."""
        tree = self.proof_tree(size)
        try:
            return tree, make(tree)
        except ValueError:
            tree = self.tree(size)
            return tree, make(tree)

    def push_to_witnesses(self) -> list[dict[str, Any]]:
        """Give the latest checkpoint to every configured witness now; one result each."""
        latest = self.latest()
        if latest is None:
            return []
        pem = self._known_keys().get(latest["key_id"])
        public = serialization.load_pem_public_key(pem.encode()) if pem else None
        if not isinstance(public, Ed25519PublicKey):
            raise NotFound(f"no public key {latest['key_id']} for the latest checkpoint")
        self.witnessed = self.witnesses.push(latest, signed_note(latest, public))
        return self.witnessed

    # -- proofs -----------------------------------------------------------------------------------

    def tree(self, size: int) -> merkle.Tree:
        """A proof tree over (at least) the first ``size`` sealed leaves, kept between calls.

        Leaves are append-only, so the tree is extended with the new leaves and the cached roots
        of its perfect subtrees stay valid: checkpoints, history pages and proof requests cost
        O(new leaves + log n) instead of reloading and rehashing the whole log. The last cached
        leaf is compared with the table first, and the cache is dropped if it differs.
        ``verify`` never uses this: it recomputes every leaf from the stored events.
        """
        with self._tree_lock:
            tree = self._tree
            if tree is not None and tree.leaves and not self._leaf_matches(
                    len(tree.leaves) - 1, tree.leaves[-1]):
                tree = None
            have = 0 if tree is None else len(tree.leaves)
            if size > have:
                new = self.leaf_hashes(size, start=have)
                if tree is None:
                    tree = merkle.Tree(new)
                else:
                    tree.leaves.extend(new)  # type: ignore[attr-defined]
            self._tree = tree if tree is not None else merkle.Tree([])
            return self._tree

    def _leaf_matches(self, index: int, leaf_hash: bytes) -> bool:
        with self.engine.connect() as conn:
            stored = conn.scalar(select(audit_leaves.c.leaf_hash).where(
                audit_leaves.c.leaf_index == index))
        return stored == leaf_hash.hex()

    def leaf_hashes(self, size: int | None = None, start: int = 0) -> list[bytes]:
        """The first ``size`` sealed leaf hashes (all when None), from index ``start`` on."""
        query = select(audit_leaves.c.leaf_hash).order_by(audit_leaves.c.leaf_index)
        if start:
            query = query.where(audit_leaves.c.leaf_index >= start)
        if size is not None:
            query = query.where(audit_leaves.c.leaf_index < size)
        with self.engine.connect() as conn:
            return [bytes.fromhex(h) for h in conn.scalars(query)]

    def leaf_at(self, position: int) -> dict[str, Any]:
        """The sealed leaf of the event at ``position`` (NotFound when not sealed)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_leaves).where(
                audit_leaves.c.position == position)).first()
        if row is None:
            raise NotFound(f"position {position} is not sealed yet", position=position)
        return dict(row._mapping)

    def inclusion(self, position: int, tree_size: int | None = None) -> dict[str, Any]:
        """The audit path of the event at ``position`` in the tree of ``tree_size`` leaves."""
        leaf = self.leaf_at(position)
        size = tree_size if tree_size is not None else self.sealed_size()
        if not leaf["leaf_index"] < size <= self.sealed_size():
            raise NotFound(f"tree size {size} does not cover position {position}",
                                position=position, tree_size=size)
        tree, proof = self._proof(size, lambda t: t.inclusion(leaf["leaf_index"], size))
        return {"position": position, "leaf_index": leaf["leaf_index"], "tree_size": size,
                "leaf_hash": leaf["leaf_hash"], "root_hash": tree.root(size).hex(),
                "audit_path": [p.hex() for p in proof]}

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``."""
        if not 0 <= first <= second <= self.sealed_size():
            raise NotFound(f"sizes {first} and {second} are not 0 <= first <= second <= "
                                f"{self.sealed_size()}", first=first, second=second)
        _, (first_root, second_root, proof) = self._proof(second, lambda t: (
            t.root(first), t.root(second), t.consistency(first, second)))
        return {"first": first, "second": second, "first_root": first_root.hex(),
                "second_root": second_root.hex(), "proof": [p.hex() for p in proof]}

    def included_in_latest(self, position: int) -> dict[str, Any] | None:
        """Whether the event at ``position`` is in the latest checkpoint, with the checked proof."""
        latest = self.latest()
        if latest is None:
            return None
        try:
            proof = self.inclusion(position, latest["tree_size"])
        except NotFound:
            return {"included": False, "checkpoint": latest}
        ok = merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], proof["tree_size"],
            [bytes.fromhex(p) for p in proof["audit_path"]], bytes.fromhex(latest["root_hash"]))
        return {"included": ok, "checkpoint": latest, "proof": proof}

    def positions_of(self, originator_id: str | UUID) -> dict[int, int]:
        """Map each version of one aggregate to its position in the log."""
        recorder = self.ledger.recorder
        table = recorder.events_table_name
        pos = "notification_id" if self.settings.is_postgres else "rowid"
        oid = UUID(str(originator_id))
        key: Any = oid if self.settings.is_postgres else oid.hex
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT originator_version, {pos} FROM {table} "  # noqa: S608
                                     "WHERE originator_id = :o"), {"o": key}).all()
        return {int(v): int(p) for v, p in rows}

    def inclusion_many(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        """For each position: whether it is in the latest checkpoint, proof checked against the
        signed root (one load of the leaves for all of them)."""
        latest = self.latest()
        if latest is None or not positions:
            return {}
        size = latest["tree_size"]
        with self.engine.connect() as conn:
            found = {r.position: r for r in conn.execute(select(audit_leaves).where(
                audit_leaves.c.position.in_(positions)))}
        tree = self.proof_tree(size)  # each proof below is checked against the signed root
        root = bytes.fromhex(latest["root_hash"])
        result: dict[int, dict[str, Any]] = {}
        for position in positions:
            leaf = found.get(position)
            if leaf is None or leaf.leaf_index >= size:
                result[position] = {"included": False, "checkpoint": latest}
                continue
            leaf_hash, index = bytes.fromhex(leaf.leaf_hash), leaf.leaf_index
            try:
                included = merkle.verify_inclusion(leaf_hash, index, size,
                                                   tree.inclusion(index, size), root)
            except ValueError:  # stored leaves of a block are not contiguous
                included = False
            if not included and tree is not self._tree:  # a stored node may be damaged
                tree = self.tree(size)
                included = merkle.verify_inclusion(leaf_hash, index, size,
                                                   tree.inclusion(index, size), root)
            result[position] = {"included": included, "checkpoint": latest,
                                "leaf_index": leaf.leaf_index, "tree_size": size}
        return result

    # -- as of ------------------------------------------------------------------------------------

    def position_as_of(self, moment: datetime) -> int:
        """The last position of the longest log prefix recorded at or before ``moment``."""
        self.index()
        with self.engine.connect() as conn:
            # the watermark never decreases along the log: the last watermark at or before the
            # moment is one index seek, and the prefix ends at its last leaf (a few at most
            # share it); max(position) over every earlier leaf read them all (0.4 s at 1M)
            mark = conn.scalar(select(func.max(audit_leaves.c.watermark)).where(
                audit_leaves.c.watermark <= iso(moment)))
            if mark is None:
                return 0
            return int(conn.scalar(select(func.max(audit_leaves.c.position)).where(
                audit_leaves.c.watermark == mark)) or 0)

    # -- verification -----------------------------------------------------------------------------

    def _events(self) -> Iterator[Any]:
        start = 1
        while True:
            batch = self.ledger.recorder.select_notifications(start=start, limit=BATCH)
            if not batch:
                return
            yield from batch
            start = batch[-1].id + 1

    def _stored(self) -> Iterator[Any]:
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(audit_leaves).where(
                    audit_leaves.c.leaf_index > after).order_by(
                    audit_leaves.c.leaf_index).limit(BATCH)).all()
            if not rows:
                return
            yield from rows
            after = rows[-1].leaf_index

    def _raw_events(self, after: int = 0) -> Iterator[list[Any]]:
        """Every stored event after position ``after`` in log order as raw rows ``(position,
        originator id, version, topic, state)``, ``VERIFY_BATCH`` per query (no event objects,
        no JSON decoding)."""
        recorder = self.ledger.recorder
        pg = self.settings.is_postgres
        pos, mark = ("notification_id", "%s") if pg else ("rowid", "?")
        sql = (f"SELECT {pos}, originator_id, originator_version, topic, state "  # noqa: S608
               f"FROM {recorder.events_table_name} WHERE {pos} > {mark} ORDER BY {pos} "
               f"LIMIT {mark}")
        while True:
            with recorder.datastore.transaction(commit=False) as cursor:
                plain_rows(cursor)
                cursor.execute(sql, (after, VERIFY_BATCH))
                rows = cursor.fetchall()
            if not rows:
                return
            if isinstance(rows[0], dict):
                rows = [tuple(r.values()) for r in rows]
            yield rows
            after = rows[-1][0]

    def _raw_row(self, position: int) -> tuple[Any, ...]:
        """The raw row of the event at ``position`` (as ``_raw_events`` gives it)."""
        recorder = self.ledger.recorder
        pg = self.settings.is_postgres
        pos, mark = ("notification_id", "%s") if pg else ("rowid", "?")
        with recorder.datastore.transaction(commit=False) as cursor:
            plain_rows(cursor)
            cursor.execute(fast_verify.range_sql(recorder.events_table_name, pos, mark),
                           (position, position + 1))
            row = cursor.fetchall()[0]
        return tuple(row.values()) if isinstance(row, dict) else tuple(row)

    def _worker_spec(self) -> dict[str, Any] | None:
        """How a worker process opens this store read-only (None: it cannot, e.g. in memory)."""
        if self.settings.is_postgres:
            return {"kind": "postgres",
                    "dsn": "postgresql://" + self.settings.database_url.split("://", 1)[1]}
        path = Path(eventsourcing_env(self.settings)["SQLITE_DBNAME"])
        if ":memory:" in str(path) or "mode=memory" in str(path) or not path.is_file():
            return None
        return {"kind": "sqlite", "path": str(path.resolve())}

    def _verify_batches(self, workers: int | None, sizes: list[int]) -> Iterator[Hashed]:
        """Every stored event in log order, hashed a batch at a time (``Hashed``; where the
        full rules must decide, ``slow`` says so).

        With ``workers`` (default ``GOVLEDGER_VERIFY_WORKERS``, else 2 once the log holds
        ``VERIFY_WORKERS_FROM`` events) the batches up to the head read at the start are
        hashed by that many worker processes (``python -m app.audit.fast_verify``), each
        reading its own position ranges from the database; this process then only builds the
        tree from their subtrees (``sizes``: the checkpoint sizes, where a root is needed) and
        compares. Events appended meanwhile are hashed here, after them.
        """
        keyring_id = str(EVENT_KEYRING_ID)
        head = int(self.ledger.recorder.max_notification_id() or 0)
        if workers is None:
            workers = verify_workers(head)
        spec = self._worker_spec() if workers > 0 and head > VERIFY_BATCH else None
        after = 0
        if spec is not None:
            config = {"spec": spec, "table": self.ledger.recorder.events_table_name,
                      "position": "notification_id" if self.settings.is_postgres else "rowid",
                      "keys": self._event_keys, "retired": self._retired_keys(),
                      "required_after": self.auth_required_after, "keyring_id": keyring_id,
                      "cuts": sizes}
            ranges = [(lo, min(lo + VERIFY_BATCH, head + 1))
                      for lo in range(1, head + 1, VERIFY_BATCH)]
            try:
                for hashed in _hashed_by_workers(config, ranges, workers):
                    if hashed.positions:
                        yield hashed
                        after = hashed.positions[-1]
                after = head
            except WorkerFailed as exc:  # hash the rest here: the same leaves, just slower
                logger.warning("verify goes on in one process from position %s: %s", after + 1,
                               exc)
        for rows in self._raw_events(after):
            leaves = fast_verify.leaves_of(rows, self._event_keys, self._retired_keys(),
                                           self.auth_required_after, keyring_id)
            yield Hashed([r[0] for r in rows],
                         b"".join(fast_verify.ZERO if leaf is None else leaf for leaf in leaves),
                         [i for i, leaf in enumerate(leaves) if leaf is None], rows,
                         listed=[fast_verify.ZERO if leaf is None else leaf for leaf in leaves])

    def _sealed_leaves(self) -> Iterator[Any]:
        """``(leaf index, position, leaf hash)`` of every sealed leaf in order, in batches."""
        c = audit_leaves.c
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(c.leaf_index, c.position, c.leaf_hash).where(
                    c.leaf_index > after).order_by(c.leaf_index).limit(VERIFY_BATCH)).all()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]

    def _notification(self, position: int) -> Any:
        return self.ledger.recorder.select_notifications(start=position, limit=1)[0]

    def _leaf_and_reason(self, position: int, raw_id: Any, version: int, topic: str,
                         state: bytes) -> tuple[bytes, str | None]:
        """The leaf hash of one raw stored event and why it does not authenticate (or None);
        the same as ``leaf_of(self._record(n))`` and ``self.authenticate(n)``."""
        oid = canonical_id(raw_id)
        if oid is None:
            n = self._notification(position)
            return leaf_of(self._record(n)), self.authenticate(n)
        reason = self._auth_reason(position, oid, version, topic, state)
        at = recorded_time(state, lambda: self.ledger.mapper.to_domain_event(
            self._notification(position)).timestamp)
        return fast_leaf(position, oid, version, topic, hashlib.sha256(state).hexdigest(),
                         at), reason

    def verify(self, progress: Progress | None = None,
               workers: int | None = None) -> VerifyReport:
        """Recompute every leaf from the stored events and check every checkpoint.

        One pass over the log, in large batches of raw rows: each event's leaf is recomputed
        (its time read from the head of its JSON, not a full decode) and compared with the
        sealed leaf streamed beside it; the signed roots are checked against both the events'
        tree and the sealed leaves' tree as each reaches a checkpoint's size, in O(log n)
        memory. Only when a sealed root does not match are the sealed leaves loaded to say
        more (consistency between checkpoints).
        """
        self.current_event_key()  # follow an event-key rotation made by another process
        report = VerifyReport()
        checkpoints = self.checkpoints()
        report.checkpoints = len(checkpoints)
        keys = self._known_keys()
        self._check_signatures(checkpoints, keys, report)
        forged = {p.checkpoint for p in report.problems if p.kind == "bad_signature"}
        checkpoints = [cp for cp in checkpoints if cp["id"] not in forged]  # not evidence
        by_size: dict[int, list[dict[str, Any]]] = {}
        for cp in checkpoints:
            by_size.setdefault(cp["tree_size"], []).append(cp)
        ours = merkle.RootBuilder()
        our_roots: dict[int, bytes] = {}
        stored = _SealedStream(self.engine, self.settings.is_postgres)
        first_mismatch: tuple[int, int | None, int] | None = None
        prev_pos = 0
        unauthenticated: list[tuple[int, str]] = []
        sizes = sorted(by_size)
        for batch in self._verify_batches(workers, sizes):
            start = report.events
            positions = batch.positions
            count = len(positions)
            leaves: list[bytes] | None = None
            if batch.slow:
                # the fast path hashed every event that plainly authenticates; the rest (and
                # every reason one does not) go through the full rules, one event at a time
                leaves = batch.leaves()
                for i in batch.slow:
                    position, raw_id, version, topic, state = (
                        batch.rows[i] if batch.rows is not None else self._raw_row(positions[i]))
                    leaves[i], reason = self._leaf_and_reason(
                        position, raw_id, version, topic,
                        state if isinstance(state, bytes) else bytes(state))
                    if reason is not None:
                        unauthenticated.append((position, reason))
                batch.joined = b"".join(leaves)
            # the sealed leaves at the same indexes: compared a batch at a time in C (by the
            # worker, when it started at the right leaf and found them equal)
            aligned = batch.start == start and not batch.slow
            if aligned and batch.sealed and stored.after == start - 1:
                stored.passed(count)
            elif first_mismatch is None:
                first_mismatch = stored.compare(start, positions, batch.joined)
            else:
                stored.skip(count)
            # the tree: a worker's subtrees when it started at the right leaf, else each leaf
            if aligned and batch.segments is not None:
                for end, blocks in batch.segments:
                    for size, node in blocks:
                        ours.add_subtree(size, node)
                    if end in by_size:
                        our_roots[end] = self._check_root(
                            ours.root(), by_size[end], positions[end - start - 1], report)
            else:
                if leaves is None:
                    leaves = batch.leaves()
                done = 0
                for size in sizes:  # checkpoint sizes in this batch: the root at each
                    if start < size <= start + count:
                        ours.extend(leaves[done:size - start])
                        done = size - start
                        our_roots[size] = self._check_root(
                            ours.root(), by_size[size], positions[done - 1], report)
                ours.extend(leaves[done:])
            report.events += count
            prev_pos = positions[-1]
            if progress is not None:
                progress(count)
        report.sealed = stored.seen
        left = stored.rest()  # sealed leaves the log no longer has
        if left is not None:
            report.sealed += left[0]
            if first_mismatch is None:
                first_mismatch = (report.events, None, left[1])
        sealed_roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
        if first_mismatch is None:  # the sealed leaves are the events' leaves: same roots
            sealed_size = report.sealed
            sealed_roots.update((size, r) for size, r in our_roots.items()
                                if size <= sealed_size)
        else:  # they differ: the sealed leaves' own tree
            sealed = merkle.RootBuilder()
            for s in islice(self._sealed_leaves(), report.sealed):
                self._append_sealed(sealed, s[2], by_size, sealed_roots)
            sealed_size = sealed.size
        for cp in checkpoints:
            if cp["tree_size"] > report.events:
                report.problems.append(Problem(
                    "missing", prev_pos + 1 if first_mismatch is None else None,
                    f"checkpoint {cp['id']} covers {cp['tree_size']} events but the log has "
                    f"only {report.events}", cp["id"], cp["issued_at"]))
        if first_mismatch is not None:
            report.problems.append(self._classify(*self._mismatch(*first_mismatch)))
        if unauthenticated:
            position, reason = unauthenticated[0]
            more = (f" ({len(unauthenticated) - 1} more after it)" if len(unauthenticated) > 1
                    else "")
            report.problems.append(Problem("unauthenticated", position, reason + more))
        if any(cp["tree_size"] > sealed_size or sealed_roots.get(cp["tree_size"], b"").hex()
               != cp["root_hash"] for cp in checkpoints):
            self._check_sealed_leaves(checkpoints, report)  # say what is wrong with them
        # problems found only as a root mismatch are kept: leaves may have been rewritten too
        return report

    @staticmethod
    def _check_root(root: bytes, signed: list[dict[str, Any]], position: int,
                    report: VerifyReport) -> bytes:
        """Report the first checkpoint whose signed root is not the events' ``root``."""
        for cp in signed:
            if root.hex() != cp["root_hash"] and not any(
                    p.kind == "root_mismatch" for p in report.problems):
                report.problems.append(Problem(
                    "root_mismatch", position,
                    f"checkpoint {cp['id']} (size {cp['tree_size']}, signed "
                    f"{cp['issued_at']}) signed root {cp['root_hash'][:16]}… but "
                    f"the events give {root.hex()[:16]}…", cp["id"], cp["issued_at"]))
        return root

    @staticmethod
    def _append_sealed(sealed: merkle.RootBuilder, leaf_hash: str,
                       by_size: dict[int, list[dict[str, Any]]],
                       roots: dict[int, bytes]) -> None:
        try:
            sealed.append(bytes.fromhex(leaf_hash))
        except ValueError:
            sealed.append(b"")  # an edited row: its root will not match
        if sealed.size in by_size:
            roots[sealed.size] = sealed.root()

    def _mismatch(self, index: int, position: int | None,
                  leaf_index: int) -> tuple[int, dict[str, Any] | None, Any]:
        """The record and the sealed row of the first leaf that differs."""
        record = self._record(self._notification(position)) if position is not None else None
        with self.engine.connect() as conn:
            sealed = conn.execute(select(audit_leaves).where(
                audit_leaves.c.leaf_index == leaf_index)).first()
        return index, record, sealed

    # -- witnessed checkpoints -------------------------------------------------------------------

    def export_checkpoints(self, every: bool = False) -> str:
        """The latest checkpoint (or every one) as C2SP signed notes, to keep elsewhere."""
        keys = self._known_keys()
        chosen = self.checkpoints() if every else [c for c in [self.latest()] if c]
        out = []
        for cp in chosen:
            public = serialization.load_pem_public_key(keys[cp["key_id"]].encode())
            assert isinstance(public, Ed25519PublicKey)
            out.append(signed_note(cp, public))
        return "\n".join(out)

    def verify_against(self, notes_text: str) -> tuple[int, list[Problem]]:
        """Check that today's log extends every checkpoint kept elsewhere.

        Each note's signature is checked with the ledger's known keys; then the leaves are
        recomputed from today's stored events (not from ``audit_leaves``), streaming, and the
        root of the first S of them must be the note's root for a note of size S — what the
        RFC 6962 consistency proof from S to today's size shows to someone without the leaves.
        A history rewritten and re-signed, even with the real key, fails here. Returns the
        number of notes checked and the problems.
        """
        problems: list[Problem] = []
        publics = {}
        for pem in self._known_keys().values():
            public = serialization.load_pem_public_key(pem.encode())
            if isinstance(public, Ed25519PublicKey):
                publics[note_key_hash(NOTE_KEY_NAME, public)] = public
        notes = parse_notes(notes_text)
        sizes = set()
        for body, _sigs in notes:
            try:
                sizes.add(int(body.split("\n")[1]))
            except (IndexError, ValueError):
                pass
        size_now, roots = self._roots_at(sizes)
        for number, (body, sigs) in enumerate(notes, 1):
            lines = body.split("\n")
            try:
                size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
            except (IndexError, ValueError):
                problems.append(Problem("bad_note", None, f"kept checkpoint #{number} is not "
                                        "a checkpoint note (origin, size, root lines)"))
                continue
            issued = next((ln[5:] for ln in lines if ln.startswith("time ")), "unknown time")
            label = f"kept checkpoint #{number} (size {size}, signed {issued})"
            signed = False
            for _name, blob in sigs:
                public = publics.get(blob[:4])
                if public is None:
                    continue
                try:
                    public.verify(blob[4:], body.encode())
                    signed = True
                except InvalidSignature:
                    pass
            if lines[0] != ORIGIN or not signed:
                problems.append(Problem(
                    "bad_signature", None,
                    f"{label}: not signed by any key of this ledger (origin "
                    f"{lines[0]!r}); check that the file is the one the witness kept"))
                continue
            if size > size_now:
                problems.append(Problem(
                    "rewritten", None,
                    f"{label}: covers {size} events but today's log has only {size_now}: "
                    f"events were removed after it was witnessed"))
                continue
            # with every leaf recomputed here, today's log extends the kept tree of ``size``
            # leaves exactly when its first ``size`` leaves give the kept root (what a
            # consistency proof shows to someone without the leaves)
            if roots.get(size) != root:
                problems.append(Problem(
                    "rewritten", None,
                    f"{label}: today's log does not extend it (the RFC 6962 consistency proof "
                    f"from size {size} to {size_now} fails): history up to it was rewritten "
                    f"after it was witnessed, even if every checkpoint in the database "
                    f"verifies. Treat the store as compromised: restore it from a backup "
                    f"that verifies against this checkpoint and rotate both keys"))
        return len(notes), problems

    def _roots_at(self, sizes: set[int]) -> tuple[int, dict[int, bytes]]:
        """Today's log length and the root of its first ``s`` recomputed leaves for each size
        ``s`` in ``sizes``: one streaming pass (the verify fast path), O(log n) memory."""
        builder = merkle.RootBuilder()
        roots: dict[int, bytes] = {}
        if 0 in sizes:
            roots[0] = merkle.EMPTY_ROOT
        wanted = sorted(s for s in sizes if s > 0)
        for batch in self._verify_batches(None, wanted):
            leaves = batch.leaves()
            for i in batch.slow:
                position, raw_id, version, topic, state = (
                    batch.rows[i] if batch.rows is not None
                    else self._raw_row(batch.positions[i]))
                leaves[i] = self._leaf_and_reason(
                    position, raw_id, version, topic,
                    state if isinstance(state, bytes) else bytes(state))[0]
            start, done = builder.size, 0
            for size in wanted:
                if start < size <= start + len(leaves):
                    builder.extend(leaves[done:size - start])
                    done = size - start
                    roots[size] = builder.root()
            builder.extend(leaves[done:])
        return builder.size, roots

    def _known_keys(self) -> dict[str, str]:
        """Public keys from the log, plus this instance's own key (the log may be damaged)."""
        keys: dict[str, str] = {}
        if self.key_path.exists():
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
            keys[key_id_of(key.public_key())] = public_pem(key.public_key())
        try:
            for key_id, pem in self.signing_keys()["keys"].items():
                keys.setdefault(key_id, pem)
        except Exception:  # noqa: BLE001 - a tampered keyring is reported by the leaf check
            pass
        return keys

    def _check_signatures(self, checkpoints: list[dict[str, Any]], keys: dict[str, str],
                          report: VerifyReport) -> None:
        for cp in checkpoints:
            expected = checkpoint_body(cp["tree_size"], bytes.fromhex(cp["root_hash"]),
                                       cp["issued_at"], cp["key_id"])
            pem = keys.get(cp["key_id"])
            if pem is None:
                report.problems.append(Problem("bad_signature", None,
                                               f"checkpoint {cp['id']}: unknown key "
                                               f"{cp['key_id']}", cp["id"], cp["issued_at"]))
                continue
            try:
                public = serialization.load_pem_public_key(pem.encode())
                if not isinstance(public, Ed25519PublicKey) or cp["body"] != expected:
                    raise InvalidSignature
                public.verify(base64.b64decode(cp["signature"]), cp["body"].encode())
            except (InvalidSignature, ValueError, UnsupportedAlgorithm):
                report.problems.append(Problem(
                    "bad_signature", None,
                    f"checkpoint {cp['id']} (size {cp['tree_size']}, signed {cp['issued_at']}): "
                    f"the signature does not match its size, root and time",
                    cp["id"], cp["issued_at"]))

    def _check_sealed_leaves(self, checkpoints: list[dict[str, Any]],
                             report: VerifyReport) -> None:
        """The sealed leaves reproduce every signed root, and each checkpoint extends the one
        before (consistency proof over the sealed leaves checked against both signed roots)."""
        if not checkpoints:
            return
        leaves = self.leaf_hashes()
        tree = merkle.Tree(leaves)
        previous = None
        for cp in checkpoints:
            if cp["tree_size"] > len(leaves):
                report.problems.append(Problem(
                    "missing", None, f"checkpoint {cp['id']} covers {cp['tree_size']} leaves "
                                     f"but only {len(leaves)} are sealed", cp["id"],
                    cp["issued_at"]))
                return
            if tree.root(cp["tree_size"]).hex() != cp["root_hash"]:
                report.problems.append(Problem(
                    "sealed_leaves_mismatch", None,
                    f"the sealed leaves do not give the root signed in checkpoint {cp['id']} "
                    f"(signed {cp['issued_at']}; audit_leaves was changed; positions are named "
                    f"from the events alone)", cp["id"], cp["issued_at"]))
            if previous is not None:
                proof = tree.consistency(previous["tree_size"], cp["tree_size"])
                if not merkle.verify_consistency(
                        previous["tree_size"], cp["tree_size"],
                        bytes.fromhex(previous["root_hash"]), bytes.fromhex(cp["root_hash"]),
                        proof):
                    report.problems.append(Problem(
                        "inconsistent", None,
                        f"checkpoint {cp['id']} (size {cp['tree_size']}) does not extend "
                        f"checkpoint {previous['id']} (size {previous['tree_size']}) over the "
                        f"sealed leaves", cp["id"], cp["issued_at"]))
            previous = cp

    def _classify(self, index: int, record: dict[str, Any] | None, s: Any) -> Problem:
        """Say what happened at the first leaf that differs from what was sealed."""
        if record is None:
            return Problem("missing", s.position,
                           "sealed, but the log ends before it (deleted)")
        position = record["position"]
        if position > s.position:
            return Problem("missing", s.position,
                           "sealed, but no longer in the log (deleted)")
        if position < s.position:
            return Problem("inserted", position, "in the log but never sealed at this place "
                                                 "(inserted after sealing)")
        with self.engine.connect() as conn:
            moved = conn.execute(select(audit_leaves.c.position).where(
                audit_leaves.c.content_hash == content_of(record),
                audit_leaves.c.leaf_index != index)).first()
            next_sealed = conn.execute(select(audit_leaves).where(
                audit_leaves.c.leaf_index == index + 1)).first()
        following = self.ledger.recorder.select_notifications(start=position + 1, limit=1)
        following_content = content_of(self._record(following[0])) if following else None
        if moved is not None and next_sealed is not None and moved.position == \
                next_sealed.position and following_content == s.content_hash:
            return Problem("reordered", position,
                           f"holds the event sealed at position {moved.position} and vice versa")
        if following_content == s.content_hash:
            return Problem("inserted", position, "a new event here pushed the sealed ones down")
        if moved is not None:
            return Problem("reordered", position,
                           f"holds the event sealed at position {moved.position}")
        if record["recorded_at"] != s.recorded_at:
            return Problem("changed", position,
                           f"recorded time changed from {s.recorded_at} to "
                           f"{record['recorded_at']}")
        return Problem("changed", position, "its stored content differs from what was sealed")


def _checkpoint(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


VERIFY_WORKERS_FROM = 50_000
"""Log length from which ``verify`` hashes in worker processes by default (below it, starting
them costs more than they save)."""


def verify_workers(head: int) -> int:
    """How many worker processes ``verify`` uses for a log of ``head`` events:
    ``GOVLEDGER_VERIFY_WORKERS`` when set (0: hash in this process), else 2 (never more than
    the machine's cores) from ``VERIFY_WORKERS_FROM`` events on."""
    raw = os.environ.get("GOVLEDGER_VERIFY_WORKERS", "").strip()
    if raw:
        try:
            return max(0, min(int(raw), 16))
        except ValueError:
            logger.warning("GOVLEDGER_VERIFY_WORKERS=%r is not a number: ignored", raw)
    return min(2, os.cpu_count() or 1) if head >= VERIFY_WORKERS_FROM else 0


class WorkerFailed(Exception):
    """A verify worker process stopped before answering (it could not start or connect)."""


WORKER_PEAK_RSS: list[int] = []
"""Peak resident memory (bytes) of each worker process of the last ``verify`` that used them."""


def _peak_rss(pid: int) -> int:
    """A process's resident-memory high-water mark (Linux ``VmHWM``; 0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class Hashed:
    """One batch of the log, hashed: positions, the leaf hashes joined (32 zero bytes where
    ``slow`` says the full rules must decide), the raw rows (None when hashed by a worker), and
    from a worker its Merkle subtrees (``fast_verify.subtrees``) and whether the sealed leaves
    match, both assuming it starts at leaf ``start``."""

    positions: Sequence[int]
    joined: bytes
    slow: list[int]
    rows: list[Any] | None = None
    start: int = -1
    segments: list[Any] | None = None
    listed: list[bytes] | None = None
    sealed: bool = False
    """From a worker: the sealed leaves ``start…`` are exactly these leaves at these positions."""

    def leaves(self) -> list[bytes]:
        """The leaf hashes one by one (a new list)."""
        if self.listed is not None:
            return list(self.listed)
        joined = self.joined
        return [joined[j:j + 32] for j in range(0, len(joined), 32)]


def _hashed_by_workers(config: dict[str, Any], ranges: list[tuple[int, int]], workers: int
                       ) -> Iterator[Hashed]:
    """Each range hashed by ``workers`` processes, in order (at most two ranges in flight each:
    memory stays a few batches, whatever the log's length). Each range is sent with the leaf
    index its first event should have (the events before it, assuming no gaps in the ranges
    still in flight), so that the worker can also give its Merkle subtrees."""
    import pickle
    import subprocess
    import sys
    from array import array

    procs = [subprocess.Popen([sys.executable, "-m", "app.audit.fast_verify"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
             for _ in range(min(workers, len(ranges)))]
    try:
        for proc in procs:
            pickle.dump(config, proc.stdin)  # type: ignore[arg-type]
        sent = 0
        start = 0  # leaves received, plus the length of each range in flight

        def send(proc: Any) -> None:
            nonlocal sent, start
            if sent < len(ranges):
                lo, hi = ranges[sent]
                pickle.dump((lo, hi, start), proc.stdin)
                proc.stdin.flush()
                starts.append(start)
                sent += 1
                start += hi - lo

        starts: list[int] = []

        for _ in range(2):
            for proc in procs:
                send(proc)
        for i in range(len(ranges)):
            proc = procs[i % len(procs)]
            try:
                packed, joined, slow, segments, sealed = pickle.load(
                    proc.stdout)  # type: ignore[arg-type]
            except (EOFError, pickle.UnpicklingError, OSError):
                raise WorkerFailed(f"a verify worker stopped (exit {proc.wait()})") from None
            positions = array("q")
            positions.frombytes(packed)
            lo, hi = ranges[i]
            start -= hi - lo - len(positions)  # a gap: the ranges sent after it start earlier
            send(proc)
            yield Hashed(positions, joined, slow, None, starts[i], segments, sealed=sealed)
    except OSError as exc:  # a worker's pipe closed under a write
        raise WorkerFailed(f"a verify worker stopped: {exc}") from exc
    finally:
        WORKER_PEAK_RSS[:] = [_peak_rss(proc.pid) for proc in procs]
        for proc in procs:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]


class _SealedStream:
    """The sealed leaves (``audit_leaves``) streamed beside the events, a batch at a time.

    ``compare`` reads the next batch as three aggregated strings (count, positions, leaf hashes:
    no row objects) and compares them with the events' batch in C; only when they differ are the
    batch's rows read one by one to name the first difference.
    """

    def __init__(self, engine: Engine, postgres: bool) -> None:
        self.engine = engine
        self.after = -1  # the last leaf index read
        self.seen = 0
        inner = ("SELECT leaf_index, position, leaf_hash FROM audit_leaves "
                 "WHERE leaf_index > :after ORDER BY leaf_index LIMIT :n")
        if postgres:
            self.sql = text("SELECT count(*), max(leaf_index), string_agg(position::text, ',' "
                            "ORDER BY leaf_index), string_agg(leaf_hash, '' ORDER BY leaf_index)"
                            f" FROM ({inner}) AS s")
        else:
            self.sql = text("SELECT count(*), max(leaf_index), group_concat(position, ','), "
                            f"group_concat(leaf_hash, '') FROM ({inner})")
        self.rows = text(inner)

    def _next(self, n: int) -> tuple[int, int | None, str, str]:
        with self.engine.connect() as conn:
            count, last, positions, hashes = conn.execute(
                self.sql, {"after": self.after, "n": n}).one()
        return int(count), last, positions or "", hashes or ""

    def passed(self, n: int) -> None:
        """The next ``n`` sealed leaves were found equal elsewhere (leaf indexes ``after + 1``
        to ``after + n``, all present)."""
        self.seen += n
        self.after += n

    def skip(self, n: int) -> None:
        count, last, _, _ = self._next(n)
        if count:
            self.seen += count
            self.after = int(last)

    def compare(self, start: int, positions: Sequence[int], joined: bytes
                ) -> tuple[int, int, int] | None:
        """Read the sealed leaves beside events ``start…`` (``joined``: their leaf hashes) and
        return the first difference ``(leaf index in the log, event position, sealed leaf
        index)``, or None."""
        count, last, sealed_positions, hashes = self._next(len(positions))
        if not count:
            return None
        first_after = self.after
        self.seen += count
        self.after = int(last)
        if hashes == joined[:count * 32].hex() and \
                sealed_positions == ",".join(map(str, positions[:count])):
            return None
        with self.engine.connect() as conn:
            beside = conn.execute(self.rows, {"after": first_after, "n": count}).all()
        for j, s in enumerate(beside):
            if s[2] != joined[j * 32:j * 32 + 32].hex() or s[1] != positions[j]:
                return start + j, positions[j], s[0]
        return None

    def rest(self) -> tuple[int, int] | None:
        """``(how many, first leaf index)`` of the sealed leaves after the events, or None."""
        with self.engine.connect() as conn:
            count, first = conn.execute(text(
                "SELECT count(*), min(leaf_index) FROM audit_leaves WHERE leaf_index > :a"),
                {"a": self.after}).one()
        return (int(count), int(first)) if count else None


class _StoredLeaves:
    """The first ``size`` sealed leaf hashes, read a block of ``2**NODE_LEVEL`` at a time when
    first needed (a sequence for ``merkle.Tree``)."""

    def __init__(self, audit: Audit, size: int) -> None:
        self.audit = audit
        self.size = size
        self.blocks: dict[int, list[bytes]] = {}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise IndexError(index)
        number = index >> NODE_LEVEL
        block = self.blocks.get(number)
        if block is None:
            lo = number << NODE_LEVEL
            block = self.blocks[number] = self.audit.leaf_hashes(
                min(lo + (1 << NODE_LEVEL), self.size), start=lo)
            if len(block) != min(1 << NODE_LEVEL, self.size - lo):
                raise ValueError(f"sealed leaves {lo}… are not contiguous")
        return block[index & ((1 << NODE_LEVEL) - 1)]


class _StoredTree(merkle.Tree):
    """``merkle.Tree`` whose perfect aligned subtrees of ``2**NODE_LEVEL`` leaves and up come
    from ``audit_nodes`` (computed from the leaves when a node is not stored)."""

    def __init__(self, audit: Audit, size: int) -> None:
        super().__init__(_StoredLeaves(audit, size))  # type: ignore[arg-type]
        self.audit = audit

    def subroot(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n >= 1 << NODE_LEVEL and n & (n - 1) == 0 and lo % n == 0:
            key = (lo, hi)
            if key not in self._cache:
                level = n.bit_length() - 1
                node = self.audit._node(level, lo >> level)  # noqa: SLF001
                self._cache[key] = node if node is not None else super().subroot(lo, hi)
            return self._cache[key]
        return super().subroot(lo, hi)
