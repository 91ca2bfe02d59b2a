"""Witnesses: parties outside the operators' control that keep every new signed checkpoint.

Each configured witness (``GOVLEDGER_WITNESSES``) gets the checkpoint as a C2SP signed note:

- an **HTTP(S) URL** receives a POST in the C2SP tlog-witness ``add-checkpoint`` shape — ``old
  <size>``, the RFC 6962 consistency proof from that size (one base64 hash per line), a blank
  line, then the signed note. ``old`` is the size this witness last acknowledged (0 at first);
  a 409 answer carrying the witness's own size (``text/x.tlog.size``) is retried once from that
  size. A 200 answer's body (the witness's cosignature lines) is kept;
- a **folder** (a path: a mounted share, a git working copy an auditor controls) gets
  ``checkpoint-<size>.txt``, ``latest.txt``, and the note appended to ``checkpoints.txt`` — the
  file ``govledger verify --against`` reads; in a git working copy the files are committed.

Every attempt is recorded in ``audit_witness_pushes`` (append-only, not a read model): which
witness, which checkpoint, when, whether it was accepted and why not. A witness that is down
never stops sealing; the failure is logged, recorded and shown on the audit page.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import threading
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
SIZE_TYPE = "text/x.tlog.size"

witness_metadata = MetaData()

witness_pushes = Table(
    "audit_witness_pushes",
    witness_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("witness", String(1000), nullable=False, index=True),
    Column("checkpoint_id", Integer, nullable=False, index=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", String(64), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("cosignature", Text, nullable=True),
    Column("pushed_at", String(32), nullable=False),
)
"""Every push of a checkpoint to a witness, append-only."""

Consistency = Callable[[int, int], list[bytes]]


class Witnesses:
    """Pushes signed checkpoints to the configured witnesses and records each attempt."""

    def __init__(self, witnesses: tuple[str, ...], engine: Engine,
                 consistency: Consistency, clock: Callable[[], datetime] | None = None) -> None:
        self.witnesses = witnesses
        self.engine = engine
        self.consistency = consistency
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        witness_metadata.create_all(engine)

    def push(self, checkpoint: dict[str, Any], note: str) -> list[dict[str, Any]]:
        """Give ``checkpoint`` (its signed ``note``) to every witness; one result each."""
        with self._lock:
            return [self._push_one(w, checkpoint, note) for w in self.witnesses]

    def push_in_background(self, checkpoint: dict[str, Any], note: str) -> None:
        """Push without making the caller wait (after web commands and in the serve loop)."""
        if self.witnesses:
            threading.Thread(target=self._quietly, args=(checkpoint, note),
                             name="govledger-witness", daemon=True).start()

    def _quietly(self, checkpoint: dict[str, Any], note: str) -> None:
        try:
            self.push(checkpoint, note)
        except Exception:  # noqa: BLE001 - the next checkpoint retries
            logger.exception("pushing a checkpoint to the witnesses failed")

    def _push_one(self, witness: str, checkpoint: dict[str, Any], note: str) -> dict[str, Any]:
        try:
            if witness.startswith(("http://", "https://")):
                cosignature = self._post(witness, checkpoint, note)
            else:
                cosignature = None
                _write_folder(Path(witness), checkpoint, note)
            ok, detail = True, "accepted"
        except WitnessRefused as exc:
            ok, detail, cosignature = False, str(exc), None
        except OSError as exc:  # folder not writable, connection refused, timeout …
            ok, detail, cosignature = False, _describe(exc), None
        if not ok:
            logger.warning("witness %s did not take checkpoint %s (size %s): %s", witness,
                           checkpoint["id"], checkpoint["tree_size"], detail)
        row = {"witness": witness, "checkpoint_id": checkpoint["id"],
               "tree_size": checkpoint["tree_size"], "root_hash": checkpoint["root_hash"],
               "ok": ok, "detail": detail[:2000], "cosignature": cosignature,
               "pushed_at": self.clock().astimezone(timezone.utc).isoformat(
                   timespec="microseconds")}
        with self.engine.begin() as conn:
            conn.execute(insert(witness_pushes), [row])
        return row

    def _post(self, url: str, checkpoint: dict[str, Any], note: str) -> str:
        old = self._acknowledged_size(url, checkpoint["tree_size"])
        try:
            return self._add_checkpoint(url, old, checkpoint, note)
        except WitnessConflict as conflict:
            if conflict.size is None or conflict.size > checkpoint["tree_size"] or \
                    conflict.size == old:
                raise WitnessRefused(str(conflict)) from None
            return self._add_checkpoint(url, conflict.size, checkpoint, note)

    def _add_checkpoint(self, url: str, old: int, checkpoint: dict[str, Any],
                        note: str) -> str:
        proof = self.consistency(old, checkpoint["tree_size"]) if old else []
        body = (f"old {old}\n" + "".join(base64.b64encode(p).decode() + "\n" for p in proof)
                + "\n" + note).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "text/plain; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only (config)
                return response.read(10_000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            text = exc.read(2000).decode("utf-8", "replace").strip()
            if exc.code == 409:
                size = int(text) if text.isdigit() else None
                raise WitnessConflict(size, f"HTTP 409: the witness holds size {text or '?'}, "
                                            f"not {old}") from None
            raise WitnessRefused(f"HTTP {exc.code}: {text[:200] or exc.reason}") from None

    def _acknowledged_size(self, witness: str, limit: int) -> int:
        with self.engine.connect() as conn:
            size = conn.scalar(select(func.max(witness_pushes.c.tree_size)).where(
                witness_pushes.c.witness == witness, witness_pushes.c.ok.is_(True),
                witness_pushes.c.tree_size <= limit))
        return int(size or 0)

    # -- what the audit page shows ----------------------------------------------------------

    def last_witnessed(self) -> dict[int, dict[str, Any]]:
        """For each checkpoint id: when it was last accepted by a witness, and by how many."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                witness_pushes.c.checkpoint_id, func.max(witness_pushes.c.pushed_at),
                func.count(func.distinct(witness_pushes.c.witness))).where(
                witness_pushes.c.ok.is_(True)).group_by(witness_pushes.c.checkpoint_id)).all()
        return {int(cid): {"at": at, "witnesses": int(n)} for cid, at, n in rows}

    def status(self) -> list[dict[str, Any]]:
        """Each configured witness (and any pushed to before): its last success and its last
        attempt."""
        with self.engine.connect() as conn:
            known = {w for (w,) in conn.execute(select(witness_pushes.c.witness).distinct())}
            result = []
            for witness in [*self.witnesses, *sorted(known - set(self.witnesses))]:
                last = conn.execute(select(witness_pushes).where(
                    witness_pushes.c.witness == witness).order_by(
                    witness_pushes.c.id.desc()).limit(1)).first()
                good = conn.execute(select(witness_pushes).where(
                    witness_pushes.c.witness == witness, witness_pushes.c.ok.is_(True)
                ).order_by(witness_pushes.c.id.desc()).limit(1)).first()
                result.append({"witness": witness, "configured": witness in self.witnesses,
                               "last_attempt": dict(last._mapping) if last else None,
                               "last_success": dict(good._mapping) if good else None})
        return result


class WitnessRefused(Exception):
    """Raised when a witness answers but does not take the checkpoint."""


class WitnessConflict(WitnessRefused):
    """Raised on HTTP 409: the witness holds another size than the one we sent from."""

    def __init__(self, size: int | None, message: str) -> None:
        super().__init__(message)
        self.size = size


def _write_folder(folder: Path, checkpoint: dict[str, Any], note: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    latest = folder / "latest.txt"
    _replace(folder / f"checkpoint-{checkpoint['tree_size']}.txt", note)
    if latest.exists() and latest.read_text(encoding="utf-8") == note:
        return  # pushed before (checkpoints.txt has it)
    kept = folder / "checkpoints.txt"
    with kept.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if kept.stat().st_size else "") + note)
        fh.flush()
        os.fsync(fh.fileno())
    _replace(latest, note)
    if (folder / ".git").exists():
        _commit(folder, checkpoint)


def _commit(folder: Path, checkpoint: dict[str, Any]) -> None:
    """In a git working copy, commit the new files (the auditor pushes or pulls them)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "Governance Ledger",
           "GIT_AUTHOR_EMAIL": "ledger@localhost", "GIT_COMMITTER_NAME": "Governance Ledger",
           "GIT_COMMITTER_EMAIL": "ledger@localhost"}
    for argv in (["add", "--", "checkpoints.txt", "latest.txt",
                  f"checkpoint-{checkpoint['tree_size']}.txt"],
                 ["commit", "--quiet", "--no-verify", "-m",
                  f"checkpoint {checkpoint['id']}: {checkpoint['tree_size']} events, root "
                  f"{checkpoint['root_hash']}"]):
        try:
            done = subprocess.run(["git", "-C", str(folder), *argv], env=env,  # noqa: S603, S607 - fixed arguments
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise WitnessRefused(f"git {argv[0]} timed out in {folder}") from None
        if done.returncode != 0:
            raise WitnessRefused(f"git {argv[0]} failed in {folder}: "
                                 f"{(done.stderr or done.stdout).strip()[:200]}")


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _describe(exc: OSError) -> str:
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable: {exc.reason}"
    return f"{type(exc).__name__}: {exc.strerror or exc}"
