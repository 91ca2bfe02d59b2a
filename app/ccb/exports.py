"""Decision log downloads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.csv_export import csv_lines

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

COLUMNS = ("decided_at", "board_id", "meeting_id", "change_request_id", "change_request_title",
           "kind", "outcome", "reason", "approve", "reject", "abstain", "quorum_met", "present",
           "functions", "proxies", "tie_break", "casting_vote", "emergency", "ratification",
           "unratified", "decided_by", "evidence_aggregate", "evidence_versions")


def decision_row(d: dict[str, Any]) -> dict[str, Any]:
    """Flatten one decision for a CSV row."""
    tally, quorum, evidence = d.get("tally") or {}, d.get("quorum") or {}, d["evidence"]
    return {
        "decided_at": d["decided_at"].isoformat(), "board_id": d["board_id"],
        "meeting_id": d["meeting_id"] or "", "change_request_id": d["change_request_id"],
        "change_request_title": d.get("change_request_title") or "", "kind": d["kind"],
        "outcome": d["outcome"], "reason": d.get("reason") or "", "approve": tally.get("approve", ""),
        "reject": tally.get("reject", ""), "abstain": tally.get("abstain", ""),
        "quorum_met": quorum.get("met", ""), "present": " ".join(quorum.get("present", [])),
        "functions": " ".join(quorum.get("functions", [])),
        "proxies": " ".join(f"{p['grantor_id']}>{p['holder_id']}"
                            for p in quorum.get("proxies", [])),
        "tie_break": d["tie_break"] or "", "casting_vote": d["casting_vote"] or "",
        "emergency": d["emergency"], "ratification": d["ratification"] or "",
        "unratified": d["unratified"], "decided_by": d["decided_by"] or "",
        "evidence_aggregate": evidence.get("aggregate", ""),
        "evidence_versions": " ".join(str(v) for v in evidence.get("event_versions", [])),
    }


def decision_log_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The decision log as CSV (one line per decision)."""
    return "".join(decision_log_csv_lines(rows))


def decision_log_csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The decision log as CSV, line by line as the rows arrive (a streamed download)."""
    return csv_lines(COLUMNS, (decision_row(row) for row in rows), lineterminator="\n")


def decision_log_json(rows: Iterable[dict[str, Any]]) -> str:
    """The decision log as a JSON document ``{"items": [...], "total": n}``."""
    return "".join(decision_log_json_chunks(rows))


def decision_log_json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """``decision_log_json`` piece by piece, one decision at a time (a streamed download)."""
    from app.ccb.schemas import DecisionLogEntrySchema

    entry, total = DecisionLogEntrySchema(), 0
    yield '{\n  "items": ['
    for row in rows:
        body = json.dumps(entry.dump(row), indent=2).replace("\n", "\n    ")
        yield ("," if total else "") + "\n    " + body
        total += 1
    yield ("\n  " if total else "") + f'],\n  "total": {total}\n}}'

