"""The auditor's sample: a reproducible random sample of the change requests of a period, each
with its walk-through evidence (SOC 2 CC8.1, ISO 27001 A.8.32).

The population is every change request submitted in the period; its hash is SHA-256 over the
sorted change ids, one per line. Selection needs no random number generator anyone has to
trust: each change's key is ``SHA-256(seed ":" change id)`` (hex) and the sample is the ``size``
changes with the smallest keys — anyone can redo it with ``sha256sum``. The evidence is read
from read models replayed from the log up to the period's end (``AsOfViews.replayed_to``),
never from the live tables. See docs/AUDIT.md ("Auditor's sample").
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.csv_export import csv_text
from app.sql import in_chunks
from domain.ccb.freeze import exempt_from_freezes, freeze_overlaps
from domain.errors import InvalidInput
from projections.ccb.tables import boards, decisions, freeze_windows
from projections.changes.tables import change_requests
from projections.people.tables import people

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.bootstrap import Services

MAX_SIZE = 1000
SEED = re.compile(r"[A-Za-z0-9._:-]{1,100}")
METHOD = ("population: change requests submitted in the period; population_sha256 = SHA-256 "
          "of the sorted change ids, one per line (each followed by a newline); each change's "
          "selection key = SHA-256(seed + ':' + change id) in hex; the sample is the `size` "
          "changes with the smallest keys, in key order")
COLUMNS = ["rank", "change_id", "selection_key", "seed", "population_sha256", "population",
           "title", "category", "risk", "systems", "status", "requester", "requester_function",
           "submitted_at", "planned_start", "planned_end", "approvals",
           "segregation_of_duties", "segregation_detail", "freeze_window", "freeze_detail",
           "implementation"]


def new_seed() -> str:
    """A fresh seed for an auditor who did not bring one (printed with the sample)."""
    return secrets.token_hex(8)


def population_hash(ids: list[str]) -> str:
    """SHA-256 of the sorted ids, one per line."""
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(ids)).encode()).hexdigest()


def selection_key(seed: str, change_id: str) -> str:
    """A change's place in the seeded order."""
    return hashlib.sha256(f"{seed}:{change_id}".encode()).hexdigest()


def choose(seed: str, ids: list[str], size: int) -> list[tuple[str, str]]:
    """The ``size`` ids with the smallest selection keys, as ``(key, id)`` in key order."""
    return sorted((selection_key(seed, i), i) for i in ids)[:size]


def check_sample_args(size: int, seed: str | None) -> None:
    """Refuse a size out of range or a seed with other characters (InvalidInput)."""
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput.field("size", f"must be between 1 and {MAX_SIZE}")
    if seed is not None and not SEED.fullmatch(seed):
        raise InvalidInput.field("seed", "1 to 100 letters, digits and . _ : - only")


def sample_changes(services: Services, start: datetime, end: datetime, size: int,
                   seed: str | None = None) -> dict[str, Any]:
    """The seeded sample of the period's change requests with each one's evidence."""
    if end < start:
        raise InvalidInput.field("to", "must be after from")
    check_sample_args(size, seed)
    seed = seed if seed else new_seed()
    position = services.audit.position_as_of(end)
    with services.evidence.view(position) as engine:  # a sealed position
        return sample_from(engine, start, end, size, seed, replayed_to=position)


def sample_from(engine: Engine, start: datetime, end: datetime, size: int, seed: str,
                replayed_to: int | None = None) -> dict[str, Any]:
    """The sample drawn from the read models of ``engine`` (replayed from the log)."""
    changes = {c["id"]: c for c in _rows(engine, select(change_requests).where(
        change_requests.c.submitted_at >= start, change_requests.c.submitted_at <= end))}
    chosen = choose(seed, list(changes), size)
    evidence = _Evidence(engine, [cid for _key, cid in chosen])
    items = [{"rank": rank, "selection_key": key, **evidence.of(changes[cid])}
             for rank, (key, cid) in enumerate(chosen, 1)]
    return {"seed": seed, "period": {"from": start.isoformat(), "to": end.isoformat()},
            "population": len(changes), "population_sha256": population_hash(list(changes)),
            "size": size, "sampled": len(items), "method": METHOD, "replayed_to": replayed_to,
            "items": items}


class _Evidence:
    """Approvals, segregation of duties, freeze check and implementation of one change."""

    def __init__(self, engine: Engine, change_ids: list[str]) -> None:
        """Evidence for the changes ``change_ids`` (their decisions only)."""
        self.people = {p["id"]: p for p in _rows(engine, select(people))}
        self.board_functions = {b["id"]: {m["person_id"]: m["function"] for m in b["members"]}
                                for b in _rows(engine, select(boards))}
        self.decisions: dict[str, list[dict[str, Any]]] = {}
        for chunk in in_chunks(change_ids):
            for d in _rows(engine, select(decisions).where(
                    decisions.c.change_request_id.in_(chunk))
                    .order_by(decisions.c.decided_at, decisions.c.id)):
                self.decisions.setdefault(d["change_request_id"], []).append(d)
        self.freezes = [{**f, "start": _utc(f["start"]), "end": _utc(f["end"])}
                        for f in _rows(engine, select(freeze_windows))]

    def name(self, person_id: str | None) -> str:
        if not person_id:
            return ""
        person = self.people.get(person_id)
        return f"{person['name']} ({person_id})" if person else person_id

    def of(self, change: dict[str, Any]) -> dict[str, Any]:
        requester = change["requester_id"]
        approvals = self.approvals(change)
        return {
            "change_id": change["id"], "title": change["title"],
            "category": change["category"], "risk": change["risk"],
            "systems": list(change["systems"]), "status": change["status"],
            "requester": self.name(requester), "requester_id": requester,
            "requester_function": self.people.get(requester, {}).get("function", ""),
            "submitted_at": _utc(change["submitted_at"]).isoformat(),
            "planned_start": _utc(change["planned_start"]).isoformat(),
            "planned_end": _utc(change["planned_end"]).isoformat(),
            "approvals": approvals,
            **self.segregation(change, approvals),
            **self.freeze_check(change),
            "implementation": self.implementation(change),
        }

    def approvals(self, change: dict[str, Any]) -> list[dict[str, Any]]:
        """Every approving vote or approval on the change: who, in what function, when."""
        found = []
        for d in self.decisions.get(change["id"], []):
            functions = self.board_functions.get(d["board_id"] or "", {})
            for v in d["votes"]:
                if v.get("choice") != "approve":
                    continue
                approver = v["member_id"]
                found.append({
                    "approver_id": approver, "approver": self.name(approver),
                    "function": v.get("function") or functions.get(approver) or
                    self.people.get(approver, {}).get("function", ""),
                    "capacity": v.get("capacity") or ("proxy vote" if v.get("proxy_id")
                                                      else "board member vote"),
                    "at": _utc(d["decided_at"]).isoformat(), "decision": d["kind"],
                    "outcome": d["outcome"], "decided_by": self.name(d["decided_by"])})
            if d.get("casting_vote") == "approve" and d["decided_by"]:
                chair = d["decided_by"]
                found.append({
                    "approver_id": chair, "approver": self.name(chair),
                    "function": functions.get(chair) or
                    self.people.get(chair, {}).get("function", ""),
                    "capacity": "chair's casting vote", "at": _utc(d["decided_at"]).isoformat(),
                    "decision": d["kind"], "outcome": d["outcome"],
                    "decided_by": self.name(chair)})
        return found

    def segregation(self, change: dict[str, Any],
                    approvals: list[dict[str, Any]]) -> dict[str, str]:
        """Pass when nobody approving the change is its requester."""
        requester = change["requester_id"]
        own = [a for a in approvals if a["approver_id"] == requester]
        if own:
            return {"segregation_of_duties": "FAIL",
                    "segregation_detail": f"the requester {self.name(requester)} approved "
                                          f"their own change at {own[0]['at']}"}
        if not approvals:
            detail = ("standard change: pre-approved by charter, no approver" if
                      change["category"] == "standard" else "no approval recorded")
            return {"segregation_of_duties": "n/a", "segregation_detail": detail}
        return {"segregation_of_duties": "pass",
                "segregation_detail": f"{len(approvals)} approval(s), none by the requester"}

    def freeze_check(self, change: dict[str, Any]) -> dict[str, str]:
        """Whether the change's planned window overlaps a freeze in force on its systems."""
        start, end = _utc(change["planned_start"]), _utc(change["planned_end"])
        hits = [f for f in self.freezes
                if freeze_overlaps(f, start, end, change["systems"])
                and (f["lifted_at"] is None or _utc(f["lifted_at"]) > start)]
        if not hits:
            return {"freeze_window": "pass", "freeze_detail": "no freeze window overlaps the "
                                                              "planned window"}
        names = ", ".join(f"{f['title']} ({f['id']}, declared {_utc(f['declared_at']).isoformat()})"
                          for f in hits)
        if exempt_from_freezes(change["category"]):
            return {"freeze_window": "exempt", "freeze_detail": f"emergency change inside "
                                                                f"{names}"}
        return {"freeze_window": "FAIL", "freeze_detail": f"planned inside {names}"}

    @staticmethod
    def implementation(change: dict[str, Any]) -> str:
        if change["status"] in ("implemented", "closed"):
            return f"{change['status']} (last recorded {_utc(change['updated_at']).isoformat()})"
        return f"no implementation recorded (status {change['status']})"


def sample_csv(sample: dict[str, Any]) -> str:
    """The sample as CSV (one row per sampled change; seed and population hash on each)."""
    rows = []
    for item in sample["items"]:
        rows.append({
            **item, "seed": sample["seed"], "population_sha256": sample["population_sha256"],
            "population": sample["population"], "systems": " ".join(item["systems"]),
            "approvals": "; ".join(f"{a['approver']} [{a['function']}] {a['capacity']} at "
                                   f"{a['at']}" for a in item["approvals"])})
    return csv_text(COLUMNS, rows)


def _rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
