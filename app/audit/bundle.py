"""Compliance export bundle: a zip that proves, offline, what the ledger recorded in a period.

Contents: the period's events as canonical JSON Lines (with the events just outside it, to prove
completeness), the signed checkpoint covering them and each event's inclusion proof (or the whole
log prefix on request), the public key, reports (registry in ``app/reporting.py``) as CSV and PDF,
a manifest, ``verify_bundle.py`` (standard library only), a README and ``SHA256SUMS``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.audit.sampling import COLUMNS, check_sample_args, sample_csv, sample_from
from app.audit.service import (
    Problem,
    VerifyReport,
    audit_leaves,
    canonical,
    iso,
    key_id_of,
    leaf_of,
)
from app.csv_export import csv_text
from app.ledger import SECRET_FIELDS, event_to_dict
from app.reporting import Report, ReportContext
from app.schemas import jsonable
from domain.audit import merkle
from domain.base import now
from domain.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from app.bootstrap import Services

VERIFIER = Path(__file__).with_name("verify_bundle.py")
OPENSSL = ("openssl pkeyutl -verify -pubin -inkey ledger.pub -rawin -in checkpoint.txt "
           "-sigfile checkpoint.sig")
OPENSSL_SUMS = ("openssl pkeyutl -verify -pubin -inkey ledger.pub -rawin -in SHA256SUMS "
                "-sigfile SHA256SUMS.sig")


class BundleError(DomainError):
    """Raised when a bundle cannot be made because the store no longer matches its seal."""

    code = "ledger_tampered"


def parse_moment(value: str, name: str, end: bool = False) -> datetime:
    """An ISO 8601 date (start of day, or end of day for ``end``) or date-time (UTC default)."""
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InvalidInput.field(name, f"not an ISO 8601 date or date-time: {value!r}") from None
    return moment


def proofs_for(leaves: Sequence[bytes] | merkle.Tree, indexes: list[int]
               ) -> dict[int, list[bytes]]:
    """Inclusion proofs for many leaves in the tree over ``leaves`` (shared subtree roots)."""
    tree = leaves if isinstance(leaves, merkle.Tree) else merkle.Tree(leaves)
    return {i: tree.inclusion(i, len(tree.leaves)) for i in indexes}


def _refuse(first: Problem) -> BundleError:
    return BundleError(f"no bundle from a store that fails verification: {first.line()}. "
                       f"Run `govledger verify` for the full report; restore the store from "
                       f"a verified backup or have the finding explained before exporting",
                       position=first.position, kind=first.kind)


def build_bundle(services: Services, start: datetime, end: datetime,
                 full_prefix: bool = False, sample_size: int = 25,
                 seed: str | None = None, full_verify: bool = False
                 ) -> tuple[bytes, dict[str, Any]]:
    """Return the zip's bytes and its manifest. The auditor's sample of ``sample_size``
    changes uses ``seed`` (default: the signed checkpoint's root hash, which nobody chooses).

    What is checked before anything is written, in time proportional to the period: the
    signed checkpoint's signature, and for every exported event that it authenticates, that
    its recomputed leaf is the sealed one and that its inclusion proof (from stored subtree
    roots) gives the signed root. ``full_verify`` runs ``verify`` over the whole log first.
    """
    if end < start:
        raise InvalidInput.field("to", "must be after from")
    check_sample_args(sample_size, seed)
    sealer = services.audit
    if full_verify:
        report = sealer.verify()
        if not report.ok:
            assert report.first is not None
            raise _refuse(report.first)
    sealer.index()
    key = sealer.ensure_key()
    latest = sealer.latest()
    if latest is None or latest["tree_size"] < sealer.sealed_size() or \
            latest["key_id"] != key_id_of(key.public_key()):
        latest = sealer.seal(force=True)
    assert latest is not None
    signed = VerifyReport()
    sealer._check_signatures([latest], sealer._known_keys(), signed)  # noqa: SLF001
    if not signed.ok:
        assert signed.first is not None
        raise _refuse(signed.first)
    size = latest["tree_size"]
    with services.engine.connect() as conn:
        period = [r.leaf_index for r in conn.execute(
            select(audit_leaves.c.leaf_index).where(
                audit_leaves.c.recorded_at >= iso(start), audit_leaves.c.recorded_at <= iso(end),
                audit_leaves.c.leaf_index < size).order_by(audit_leaves.c.leaf_index))]
    if full_prefix:
        selected = list(range(size))
    else:
        selected = sorted({*period, *([period[0] - 1] if period and period[0] > 0 else []),
                           *([period[-1] + 1] if period and period[-1] + 1 < size else [])})
    tree = sealer.stored_tree(size)
    leaves = tree.leaves
    events, decoded, redacted = _events(services, selected, set(period), leaves)
    files: dict[str, bytes] = {}
    files["events.jsonl"] = b"".join(canonical(e) + b"\n" for e in events)
    if not full_prefix:
        proofs = proofs_for(tree, selected)
        root = bytes.fromhex(latest["root_hash"])
        for e in events:
            i = e["leaf_index"]
            if not merkle.verify_inclusion(leaves[i], i, size, proofs[i], root):
                raise _refuse(Problem("sealed_leaves_mismatch", e["leaf"]["position"],
                                      f"its inclusion proof does not give the root signed in "
                                      f"checkpoint {latest['id']} (audit_leaves or "
                                      f"audit_nodes was changed)", latest["id"],
                                      latest["issued_at"]))
        files["proofs.jsonl"] = b"".join(canonical({
            "leaf_index": i, "tree_size": size, "audit_path": [p.hex() for p in proofs[i]]})
            + b"\n" for i in selected)
    elif tree.root(size) != bytes.fromhex(latest["root_hash"]):
        raise _refuse(Problem("sealed_leaves_mismatch", None, f"the sealed leaves do not give "
                              f"the root signed in checkpoint {latest['id']}", latest["id"],
                              latest["issued_at"]))
    files["checkpoint.txt"] = latest["body"].encode()
    files["checkpoint.sig"] = base64.b64decode(latest["signature"])
    files["checkpoint.json"] = json.dumps(latest, indent=2).encode()
    keys = sealer.public_keys()["keys"]
    files["ledger.pub"] = keys[latest["key_id"]].encode()
    replayed_to = _replay_position(services, end, size)
    report_counts = _reports(services, start, end, decoded, files, replayed_to,
                             sample_size, seed or latest["root_hash"])
    in_period = [e for e in events if e["in_period"]]
    sample = json.loads(files["reports/change_sample.json"])
    manifest = {
        "format": "govledger-bundle/1",
        "generated_at": iso(now()),
        "query": {"from": start.isoformat(), "to": end.isoformat(), "full_prefix": full_prefix,
                  "selection": "every sealed event whose recorded time is within the period "
                               "(inclusive), in log order, plus the events just before and "
                               "after it"},
        "period": {"from": iso(start), "to": iso(end)},
        "mode": "full_prefix" if full_prefix else "period",
        "checked_before_export": (
            "govledger verify over the whole log, then " if full_verify else "") + (
            "the checkpoint's signature; each exported event's authentication tag, recomputed "
            "leaf against the sealed one and inclusion proof against the signed root"),
        "counts": {"events": len(in_period), "events_in_file": len(events),
                   "redacted_states": redacted, "reports": report_counts},
        "first_position": in_period[0]["leaf"]["position"] if in_period else None,
        "last_position": in_period[-1]["leaf"]["position"] if in_period else None,
        "first_leaf_index": in_period[0]["leaf_index"] if in_period else None,
        "last_leaf_index": in_period[-1]["leaf_index"] if in_period else None,
        "checkpoint": {k: latest[k] for k in ("id", "tree_size", "root_hash", "issued_at",
                                              "key_id")},
        "leaf_encoding": "SHA-256(0x00 || canonical JSON of the six leaf fields); see README",
        "reports_from": f"the read models replayed from the stored events as they stood after "
                        f"position {replayed_to} (the sealed evidence replica)",
        "sample": {k: sample[k] for k in ("seed", "size", "population", "population_sha256",
                                          "sampled", "method")},
    }
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    files["verify_bundle.py"] = VERIFIER.read_bytes()
    files["README.txt"] = README.format(**{**manifest, "openssl": OPENSSL,
                                           "openssl_sums": OPENSSL_SUMS,
                                           "size": size}).encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                                  for name, data in sorted(files.items())).encode()
    files["SHA256SUMS.sig"] = key.sign(files["SHA256SUMS"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return buffer.getvalue(), manifest


def write_bundle(services: Services, start: datetime, end: datetime, out: str,
                 full_prefix: bool = False, sample_size: int = 25,
                 seed: str | None = None, full_verify: bool = False) -> dict[str, Any]:
    """Write the bundle to ``out``; returns its manifest."""
    data, manifest = build_bundle(services, start, end, full_prefix, sample_size, seed,
                                  full_verify)
    Path(out).write_bytes(data)
    return manifest


def _events(services: Services, selected: list[int], period: set[int],
            leaves: Sequence[bytes]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    sealer = services.audit
    if not selected:
        return [], [], 0
    c = audit_leaves.c
    with services.engine.connect() as conn:  # one indexed range, not the whole table
        positions = dict(conn.execute(select(c.leaf_index, c.position).where(
            c.leaf_index >= selected[0], c.leaf_index <= selected[-1])).all())
    by_position = {positions[i]: i for i in selected}
    events, decoded, redacted = [], [], 0
    start = min(by_position)
    stop = max(by_position)
    while start <= stop:
        batch = services.ledger.recorder.select_notifications(start=start, limit=1000, stop=stop)
        if not batch:
            break
        for n in batch:
            index = by_position.get(n.id)
            if index is None:
                continue
            record = sealer._record(n)  # noqa: SLF001
            reason = sealer.authenticate(n)
            if reason is not None:
                raise _refuse(Problem("unauthenticated", n.id, reason))
            if leaf_of(record) != leaves[index]:
                raise _refuse(Problem("changed", n.id, "its stored content differs from what "
                                      "was sealed (it no longer matches its seal)"))
            state = n.state.encode() if isinstance(n.state, str) else bytes(n.state)
            secret = _has_secret(state)
            redacted += secret
            events.append({"leaf_index": index, "in_period": index in period, "leaf": record,
                           "state": None if secret else base64.b64encode(state).decode(),
                           "redacted": secret})
            if index in period:
                row = event_to_dict(services.ledger.mapper.to_domain_event(n))
                decoded.append({**row, "data": jsonable(row["data"]), "position": n.id,
                                "topic": n.topic, "aggregate_id": str(n.originator_id),
                                "recorded_at": record["recorded_at"]})
        start = batch[-1].id + 1
    return events, decoded, redacted


def _has_secret(state: bytes) -> bool:
    try:
        data = json.loads(state)
    except ValueError:
        return False
    return isinstance(data, dict) and bool(SECRET_FIELDS & set(data))


def _replay_position(services: Services, end: datetime, size: int) -> int:
    """The last position the reports replay to: the log prefix recorded by the period's end,
    within the verified and signed checkpoint of ``size`` leaves."""
    position = services.audit.position_as_of(end)
    if size == 0:
        return 0
    with services.engine.connect() as conn:
        last = conn.scalar(select(audit_leaves.c.position).where(
            audit_leaves.c.leaf_index == size - 1))
    return min(position, int(last or 0))


def _reports(services: Services, start: datetime, end: datetime,
             events: list[dict[str, Any]], files: dict[str, bytes],
             position: int, sample_size: int, seed: str) -> dict[str, int]:
    """Every report, drawn from the read models replayed from the log as they stood after
    ``position`` (the sealed evidence replica, ``app/audit/evidence.py``; never the live
    read-model tables, which ``verify`` does not cover) and from the period's verified events;
    then the auditor's sample."""
    tables = []
    counts = {}
    with services.evidence.view(position) as engine:
        ctx = ReportContext(engine=engine, start=start, end=end, events=events)
        for report in services.reports:
            rows = report.rows(ctx)
            counts[report.name] = len(rows)
            files[f"reports/{report.name}.csv"] = csv_text(report.columns, rows).encode()
            tables.append((report, rows))
        sample = sample_from(engine, start, end, sample_size, seed, replayed_to=position)
    files["reports/change_sample.csv"] = sample_csv(sample).encode()
    files["reports/change_sample.json"] = json.dumps(sample, indent=2).encode()
    counts["change_sample"] = sample["sampled"]
    sample_rows = list(csv.DictReader(io.StringIO(files["reports/change_sample.csv"].decode())))
    tables.append((Report("change_sample", f"Auditor's sample: {sample['sampled']} of "
                          f"{sample['population']} changes, seed {seed}, population SHA-256 "
                          f"{sample['population_sha256']}", COLUMNS, lambda _ctx: sample_rows),
                   sample_rows))
    files["reports/reports.pdf"] = _pdf(tables, start, end)
    return counts


def _pdf(tables: list[tuple[Any, list[dict[str, Any]]]], start: datetime,
         end: datetime) -> bytes:
    from fpdf import FPDF

    def text(value: Any) -> str:
        return str(value).encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, text(f"Governance Ledger - compliance reports {iso(start)} to {iso(end)}"),
             new_x="LMARGIN", new_y="NEXT")
    for report, rows in tables:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, text(f"{report.title} ({len(rows)})"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 7)
        if not rows:
            pdf.cell(0, 5, "None in the period.", new_x="LMARGIN", new_y="NEXT")
        width = pdf.w - pdf.l_margin - pdf.r_margin
        for row in rows:
            for line in _wrap(pdf, text("; ".join(f"{c}: {row.get(c, '')}"
                                                  for c in report.columns)), width):
                pdf.cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())


def _measure(pdf: Any) -> Callable[[str], float]:
    """The width of a string in the current font, in user units: for fpdf's core fonts (the
    bundle's Helvetica) at normal stretching and spacing, the sum of the characters' widths
    (what ``get_string_width`` computes, through its text-fragment machinery, ~80 µs a
    word); otherwise ``get_string_width`` itself."""
    from fpdf.fonts import CoreFont

    font = pdf.current_font
    if isinstance(font, CoreFont) and pdf.font_stretching == 100 and not pdf.char_spacing:
        widths, scale = font.cw, pdf.font_size_pt * 0.001 / pdf.k
        return lambda s: sum([widths[c] for c in s]) * scale
    return pdf.get_string_width  # type: ignore[no-any-return]


def _wrap(pdf: Any, value: str, width: float) -> list[str]:
    """Greedy word wrap measuring each word once (fpdf's ``multi_cell`` re-measures the line
    at every character: quadratic in the line's length, most of a large bundle's time)."""
    measure = _measure(pdf)
    space = measure(" ")
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for word in value.split(" "):
        w = measure(word)
        while w > width:  # a word longer than the line: cut it by characters
            cut = max(1, int(len(word) * width / w))
            while cut > 1 and measure(word[:cut]) > width:
                cut -= 1
            if line:
                lines.append(" ".join(line))
                line, used = [], 0.0
            lines.append(word[:cut])
            word = word[cut:]
            w = measure(word)
        if line and used + space + w > width:
            lines.append(" ".join(line))
            line, used = [], 0.0
        used += (space if line else 0.0) + w
        line.append(word)
    if line or not lines:
        lines.append(" ".join(line))
    return lines


README = """Governance Ledger compliance export
===================================

Period: {period[from]} to {period[to]} (UTC, inclusive)
Events in the period: {counts[events]} (positions {first_position} to {last_position})
Signed checkpoint: {size} events, root {checkpoint[root_hash]}, signed {checkpoint[issued_at]}
with key {checkpoint[key_id]}.

How to check this bundle (two commands, in the unzipped folder)
---------------------------------------------------------------
  python3 verify_bundle.py
  {openssl_sums} && sha256sum -c SHA256SUMS
  {openssl}

The first needs only Python 3 (no packages) and checks everything, including both Ed25519
signatures. The other two check the signatures independently with OpenSSL 3 (each prints
"Signature Verified Successfully"): SHA256SUMS is signed with the checkpoint key
(SHA256SUMS.sig), so once its signature verifies, `sha256sum -c SHA256SUMS` proves every other
file (reports included) is exactly as exported. Every file except SHA256SUMS.sig is listed.

What a passing check proves
---------------------------
- Every file is exactly as exported: SHA256SUMS lists every file and is signed with the
  ledger's key (SHA256SUMS.sig), so editing a report and recomputing the sums fails.
- Every event in events.jsonl is part of the ledger's history as it was when the checkpoint was
  signed: its fingerprint, combined with the proof in proofs.jsonl, gives exactly the root hash
  that the ledger's private key signed. Changing, removing or reordering any earlier event would
  have changed that root.
- The events of the period are complete: they are consecutive in the ledger's single order and
  the events immediately before and after them (also proven) fall outside the period. Nothing
  recorded in the period was left out of this file.
- The signature shows the checkpoint was signed by the holder of the private key whose public
  half is ledger.pub (compare its key id with the one the ledger publishes at
  /api/v1/ledger/public-key, or with a copy you kept earlier).

What it does not prove
----------------------
- That the events are true statements about the world: only that the ledger recorded them,
  in this order, at these times, and has not changed them since the checkpoint.
- Anything about events after the checkpoint.
- That the key holder did not rewrite history *before* signing this checkpoint: for that,
  compare this checkpoint with one you obtained earlier (the ledger serves consistency proofs at
  /api/v1/ledger/proofs/consistency?first=M1&second=M2).

Files
-----
events.jsonl   one event per line: "leaf" (the six fields hashed into the tree: position,
               originator_id, version, topic, state_sha256, recorded_at), "leaf_index",
               "in_period", and "state" (the stored event, base64) unless "redacted" (events
               that carry credential hashes: only their SHA-256 is included)
proofs.jsonl   RFC 6962 audit path of each event (absent for a whole-prefix export)
checkpoint.txt the signed note: origin, tree size, base64 root, time, key id
checkpoint.sig its raw Ed25519 signature;  ledger.pub  the public key (PEM)
SHA256SUMS     SHA-256 of every file; SHA256SUMS.sig its raw Ed25519 signature (same key)
manifest.json  query, period, counts, first/last positions, checkpoint
reports/       CSV per report and reports.pdf: change requests, change approval evidence,
               CCB decision log, on-call schedule, incidents and MTTA/MTTR, action items,
               rehearsal Go/No-Go decisions, post-launch reviews, and the auditor's sample
               (change_sample.csv/.json: seed, population hash, each sampled change with
               approvals, segregation of duties, freeze check, implementation). Reports are
               generated from a replay of the verified events, not from live tables
Leaf hash = SHA-256(0x00 || canonical JSON of "leaf") with keys sorted, no spaces, ASCII only;
node = SHA-256(0x01 || left || right).
"""
