"""The release rehearsal report (docs/templates/RELEASE_REHEARSAL_REPORT.md) as JSON, Markdown
and PDF, built from the read model only (so it can be shown as of a past moment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.rehearsals.rehearsal import PREFLIGHT_LABELS

COMPARATOR_WORDS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


def when(value: datetime | None) -> str:
    """A UTC time to the minute, or a dash."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def duration(seconds: int | None) -> str:
    """Seconds as ``1h 02m 05s`` / ``12m 30s`` / ``45s``."""
    if seconds is None:
        return "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h {minutes:02d}m {secs:02d}s" if hours else (
        f"{minutes}m {secs:02d}s" if minutes else f"{secs}s")
    return f"-{text}" if seconds < 0 else text


def variance(step: dict[str, Any]) -> str:
    """Signed variance with its percentage of the plan."""
    if step["variance_seconds"] is None:
        return "-"
    sign = "+" if step["variance_seconds"] > 0 else ("-" if step["variance_seconds"] < 0 else "")
    pct = step["variance_percent"]
    pct_text = f"+{pct}" if pct > 0 else str(pct)
    return f"{sign}{duration(abs(step['variance_seconds']))} ({pct_text}%)"


def verdict(passed: bool | None) -> str:
    """PASS, FAIL or NOT RUN."""
    return "NOT RUN" if passed is None else ("PASS" if passed else "FAIL")


def go(value: str | None) -> str:
    """``go``/``no_go`` as the report writes them."""
    return {"go": "GO", "no_go": "NO-GO"}.get(value or "", "-")


def build_report(r: dict[str, Any]) -> dict[str, Any]:
    """The report's content as plain JSON-ready values, in the template's order."""
    steps = [s for s in r["steps"]]
    timed = [s for s in steps if s["actual_seconds"] is not None]
    planned_total = sum(s["planned_minutes"] * 60 for s in steps)
    actual_total = sum(s["actual_seconds"] for s in timed)
    evaluation = r["evaluation"]
    return {
        "rehearsal_id": r["id"],
        "summary": {
            "release_version": r["release_version"], "environment": r["environment"],
            "playbook": r["playbook"], "planned_by": r["planned_by_name"] or r["planned_by"],
            "status": r["status"], "abort_reason": r["abort_reason"],
            "started_at": when(r["started_at"]), "ended_at": when(r["ended_at"]),
            "recommendation": go(r["recommendation"]), "decision": go(r["decision"]),
            "against_recommendation": bool(r["against_recommendation"]),
            "decision_reason": (r["decisions"][-1]["decision_reason"] if r["decisions"]
                                else None),
            "decided_by": r["decisions"][-1]["decided_by_name"] if r["decisions"] else None,
        },
        "preflight": [{"check": c["label"], "result": verdict(c["passed"]),
                       "evidence": c["evidence"], "runs": c["runs"]} for c in r["preflight"]],
        "parity": {"threshold": f"> {r['parity_threshold']}%",
                   "items": next((c["parity_items"] for c in r["preflight"]
                                  if c["kind"] == "parity"), None) or []},
        "timeline": [{"number": s["number"], "step": s["name"],
                      "owner": s["owner_name"] or s["owner_id"],
                      "planned": duration(s["planned_minutes"] * 60),
                      "actual": duration(s["actual_seconds"]), "variance": variance(s),
                      "status": s["status"], "skip_reason": s["skip_reason"]} for s in steps],
        "timeline_total": {"planned": duration(planned_total), "actual": duration(actual_total),
                           "estimate_accuracy": (f"{r['estimate_accuracy']}%"
                                                 if r["estimate_accuracy"] is not None
                                                 else "-")},
        "issues": [{"issue": i["issue"], "step": r["step_names"].get(i["step"], i["step"]),
                    "severity": i["severity"], "description": i["description"],
                    "resolution": i["resolution"] or "unresolved"} for i in r["issues"]],
        "rollback": _rollback(r["rollback"]),
        "earlier_rollback_tests": [_rollback(t) for t in r["rollback_tests"][:-1]],
        "criteria": _criteria(evaluation),
        "evaluations": [{"evaluation": e["evaluation"], "evaluated_at": when(e["evaluated_at"]),
                         "recommendation": go(e["recommendation"]),
                         "decision": go(e["decision"]),
                         "decided_by": e["decided_by_name"],
                         "against_recommendation": bool(e["against_recommendation"]),
                         "reason": e["decision_reason"],
                         "failed": ", ".join(e["failed"]) or "-"} for e in r["evaluations"]],
        "lessons": [n["text"] for n in r["lessons"]],
        "adjustments": [_adjustment(n) for n in r["adjustments"]],
    }


def _rollback(test: dict[str, Any] | None) -> dict[str, Any]:
    if test is None:
        return {"performed": "no", "result": "NOT RUN", "duration": "-", "notes": ""}
    return {"performed": "yes" if test["performed"] else "no",
            "result": verdict(test["passed"]) if test["performed"] else "NOT RUN",
            "duration": duration(test["duration_minutes"] * 60)
            if test["duration_minutes"] is not None else "-", "notes": test["notes"]}


def _criteria(evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    if evaluation is None:
        return []
    rows = [{"criterion": c["label"], "measured": with_unit(c["measured"], c["unit"]),
             "threshold": f"{c['comparator']} {with_unit(c['threshold'], c['unit'])}",
             "verdict": verdict(c["passed"])} for c in evaluation["criteria"]]
    for kind, passed in evaluation["preflight"].items():
        rows.append({"criterion": f"Pre-flight: {PREFLIGHT_LABELS[kind]}",
                     "measured": outcome(passed), "threshold": "passed",
                     "verdict": verdict(bool(passed))})
    rows.append({"criterion": "Rollback test", "measured": outcome(evaluation["rollback_passed"]),
                 "threshold": "passed", "verdict": verdict(bool(evaluation["rollback_passed"]))})
    return rows


def with_unit(value: Any, unit: str) -> str:
    """``0.8%``, ``430 ms``, or a dash when nothing was measured."""
    if value is None:
        return "-"
    return f"{value}{unit}" if unit in ("%", "") else f"{value} {unit}"


def outcome(passed: bool | None) -> str:
    """passed, failed or not run."""
    return "not run" if passed is None else ("passed" if passed else "failed")


def _adjustment(note: dict[str, Any]) -> dict[str, Any]:
    if note["kind"] == "action_item":
        becomes = f"action item {note['action_item_id']}"
    else:
        becomes = f"runbook revision proposal: {note['runbook_category']} / {note['runbook_name']}"
    return {"text": note["text"], "becomes": becomes, "kind": note["kind"]}


# -- Markdown ---------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    return str(value if value is not None else "-").replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown in the template's shape."""
    s = report["summary"]
    out = [f"# Release Rehearsal Report: {s['release_version']} on {s['environment']}", ""]
    if s["against_recommendation"]:
        out += [f"> **DECISION AGAINST THE RECOMMENDATION:** {s['decision']} was decided by "
                f"{s['decided_by']} although the service recommended {s['recommendation']}. "
                f"Reason: {s['decision_reason']}", ""]
    out += _table(["Field", "Value"], [
        ["Release version", s["release_version"]], ["Staging environment", s["environment"]],
        ["Playbook", s["playbook"]], ["Planned by", s["planned_by"]], ["Status", s["status"]]]
        + ([["Abort reason", s["abort_reason"]]] if s["abort_reason"] else []) + [
        ["Dry run", f"{s['started_at']} to {s['ended_at']}"],
        ["Recommendation", s["recommendation"]],
        ["Decision", s["decision"] + (" (against the recommendation)"
                                      if s["against_recommendation"] else "")]])
    out += ["", "## 1. Pre-flight checks", ""]
    out += _table(["Check", "Result", "Evidence", "Runs"],
                  [[c["check"], c["result"], c["evidence"], c["runs"]]
                   for c in report["preflight"]])
    if report["parity"]["items"]:
        out += ["", f"Parity items (required {report['parity']['threshold']}):", ""]
        out += _table(["Item", "Expected", "Actual", "Match"],
                      [[i["name"], i["expected"], i["actual"], "yes" if i["matches"] else "NO"]
                       for i in report["parity"]["items"]])
    total = report["timeline_total"]
    out += ["", "## 2. Timeline: planned vs actual", ""]
    out += _table(["#", "Step", "Owner", "Planned", "Actual", "Variance", "Status"],
                  [[t["number"], t["step"], t["owner"], t["planned"], t["actual"], t["variance"],
                    t["status"] + (f" ({t['skip_reason']})" if t["skip_reason"] else "")]
                   for t in report["timeline"]]
                  + [["", "**Total**", "", total["planned"], total["actual"], "", ""]])
    out += ["", f"Estimate accuracy: {total['estimate_accuracy']}", ""]
    out += ["## 3. Issues encountered and resolutions", ""]
    out += (_table(["#", "Step", "Severity", "Issue", "Resolution"],
                   [[i["issue"], i["step"], i["severity"], i["description"], i["resolution"]]
                    for i in report["issues"]]) if report["issues"] else ["No issues logged."])
    rb = report["rollback"]
    out += ["", "## 4. Rollback test", "", f"- Performed: {rb['performed']}",
            f"- Result: {rb['result']}", f"- Duration: {rb['duration']}",
            f"- Notes: {rb['notes'] or '-'}"]
    out += [f"- Earlier test: {t['result']} in {t['duration']} ({t['notes'] or 'no notes'})"
            for t in report["earlier_rollback_tests"]]
    out += ["", "## 5. Go/No-Go criteria validation", ""]
    out += (_table(["Criterion", "Measured", "Threshold", "Verdict"],
                   [[c["criterion"], c["measured"], c["threshold"], c["verdict"]]
                    for c in report["criteria"]]) if report["criteria"]
            else ["Not evaluated yet."])
    if report["evaluations"]:
        out += ["", "Evaluations and decisions:", ""]
        out += _table(["#", "Evaluated", "Failed", "Recommendation", "Decision", "Decided by",
                       "Reason"],
                      [[e["evaluation"], e["evaluated_at"], e["failed"], e["recommendation"],
                        e["decision"] + (" (AGAINST)" if e["against_recommendation"] else ""),
                        e["decided_by"], e["reason"]] for e in report["evaluations"]])
    out += ["", "## 6. Lessons learned", ""]
    out += [f"- {text}" for text in report["lessons"]] or ["None recorded."]
    out += ["", "## 7. Runbook adjustments recommended", ""]
    out += [f"- {a['text']} ({a['becomes']})" for a in report["adjustments"]] or [
        "None recorded."]
    return "\n".join(out) + "\n"


# -- PDF ------------------------------------------------------------------------------------------

PDF_TEXT = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'",
                          "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2192": "->",
                          "\u2265": ">=", "\u2264": "<=", "\u26a0": "!"})


def _latin(text: Any) -> str:
    """Core PDF fonts are Latin-1: common typography is spelled out, anything else is '?'."""
    text = str(text if text is not None else "-").translate(PDF_TEXT)
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(report: dict[str, Any]) -> bytes:
    """The report as a PDF (fpdf2), with the same sections as the Markdown."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    s = report["summary"]

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 8, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 9)

    def line(text: str) -> None:
        pdf.multi_cell(0, 5, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(headers: list[str], rows: list[list[Any]]) -> None:
        with pdf.table(text_align="LEFT", line_height=5) as t:
            t.row([_latin(h) for h in headers])
            for row in rows:
                t.row([_latin(v) for v in row])

    heading(f"Release Rehearsal Report: {s['release_version']} on {s['environment']}", 16)
    if s["against_recommendation"]:
        pdf.set_text_color(170, 0, 0)
        line(f"DECISION AGAINST THE RECOMMENDATION: {s['decision']} decided by "
             f"{s['decided_by']}; recommended {s['recommendation']}. "
             f"Reason: {s['decision_reason']}")
        pdf.set_text_color(0, 0, 0)
    table(["Field", "Value"], [["Playbook", s["playbook"]], ["Planned by", s["planned_by"]],
                               ["Status", s["status"]],
                               ["Dry run", f"{s['started_at']} to {s['ended_at']}"],
                               ["Recommendation", s["recommendation"]],
                               ["Decision", s["decision"]]])
    heading("1. Pre-flight checks")
    table(["Check", "Result", "Evidence", "Runs"],
          [[c["check"], c["result"], c["evidence"], c["runs"]] for c in report["preflight"]])
    heading("2. Timeline: planned vs actual")
    total = report["timeline_total"]
    table(["#", "Step", "Owner", "Planned", "Actual", "Variance", "Status"],
          [[t["number"], t["step"], t["owner"], t["planned"], t["actual"], t["variance"],
            t["status"]] for t in report["timeline"]]
          + [["", "Total", "", total["planned"], total["actual"], "", ""]])
    line(f"Estimate accuracy: {total['estimate_accuracy']}")
    heading("3. Issues encountered and resolutions")
    if report["issues"]:
        table(["#", "Step", "Severity", "Issue", "Resolution"],
              [[i["issue"], i["step"], i["severity"], i["description"], i["resolution"]]
               for i in report["issues"]])
    else:
        line("No issues logged.")
    heading("4. Rollback test")
    rb = report["rollback"]
    line(f"Performed: {rb['performed']}. Result: {rb['result']}. Duration: {rb['duration']}. "
         f"Notes: {rb['notes'] or '-'}")
    for t in report["earlier_rollback_tests"]:
        line(f"Earlier test: {t['result']} in {t['duration']} ({t['notes'] or 'no notes'})")
    heading("5. Go/No-Go criteria validation")
    if report["criteria"]:
        table(["Criterion", "Measured", "Threshold", "Verdict"],
              [[c["criterion"], c["measured"], c["threshold"], c["verdict"]]
               for c in report["criteria"]])
        pdf.ln(2)
        table(["#", "Evaluated", "Failed", "Recommendation", "Decision", "Decided by", "Reason"],
              [[e["evaluation"], e["evaluated_at"], e["failed"], e["recommendation"],
                e["decision"] + (" (AGAINST)" if e["against_recommendation"] else ""),
                e["decided_by"], e["reason"]] for e in report["evaluations"]])
    else:
        line("Not evaluated yet.")
    heading("6. Lessons learned")
    for text in report["lessons"] or ["None recorded."]:
        line(f"- {text}")
    heading("7. Runbook adjustments recommended")
    for a in report["adjustments"] or [{"text": "None recorded.", "becomes": ""}]:
        line(f"- {a['text']}" + (f" ({a['becomes']})" if a["becomes"] else ""))
    return bytes(pdf.output())
