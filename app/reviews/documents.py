"""The review document in the shape of the team guide's post-launch review template (Markdown)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.reviews.review import TICKET_SEVERITIES

SEVERITY_NAMES = {"P0": "Critical", "P1": "High", "P2": "Medium"}
STATUS_WORDS = {"completed": "completed", "in_progress": "in-progress", "blocked": "blocked",
                "open": "open"}


def fmt(value: Any, unit: str = "") -> str:
    """A value for the document ("—" when missing; decimals without trailing zeros)."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f")
    elif isinstance(value, float):
        value = f"{value:g}"
    return f"{value}{unit}"


def change(value: Any) -> str:
    """A signed difference."""
    if value is None:
        return "—"
    text = fmt(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _verdict(met: bool | None) -> str:
    return "" if met is None else (" — met" if met else " — **missed**")


def tickets_line(tickets: dict[str, int]) -> str:
    """Support tickets: total and breakdown by severity."""
    if not tickets:
        return "—"
    order = [s for s in TICKET_SEVERITIES if s in tickets] + sorted(
        s for s in tickets if s not in TICKET_SEVERITIES)
    return f"{sum(tickets.values())} (" + ", ".join(f"{s}: {tickets[s]}" for s in order) + ")"


def render_markdown(doc: dict[str, Any]) -> str:
    """Render a review (``reviews_queries.get_review``) as Markdown."""
    review, launch = doc["review"], doc["launch"]
    out = [f"# Post-Launch Review - {review['scheduled_for'].isoformat()}", "",
           f"Launch: {launch['name']} ({launch['system']}, launched "
           f"{launch['launch_date'].isoformat()}) · {review['kind']} review #{review['seq']} · "
           f"period {review['period_start'].isoformat()} to {review['period_end'].isoformat()}"
           f" · status: {review['status']}", "", "## Metrics Review"]
    for m in doc["metrics"]:
        out.append(f"- {m['label']}: {fmt(m['value'], m['unit'])} (target: {m['target']})"
                   f"{_verdict(m['met'])}")
    out += [f"- Active Users: {fmt(review['active_users'])}",
            f"- Support Tickets: {tickets_line(review['tickets'])}", ""]
    if doc["comparison"]:
        out += [f"## Compared with Previous Review ({doc['previous']['scheduled_for']})", "",
                "| Measure | Previous | This review | Change |", "|---|---|---|---|"]
        out += [f"| {c['label']} | {fmt(c['previous'])} | {fmt(c['current'])} | "
                f"{change(c['change'])} |" for c in doc["comparison"]]
        out.append("")
    out.append("## Incidents")
    for severity, incidents in doc["incidents_by_severity"].items():
        name = SEVERITY_NAMES.get(severity, severity)
        titles = "; ".join(i["title"] for i in incidents)
        out.append(f"- {severity} ({name}): {len(incidents)}" + (f" - {titles}" if titles else ""))
    out += ["", "## Action Items from Previous Review"]
    out += [f"- {i['title']} ({i['owner']}, {i['priority']}): "
            f"{STATUS_WORDS.get(i['status'], i['status'])}" + (f" — {i['note']}" if i["note"]
                                                               else "")
            for i in doc["previous_items"]] or ["- None"]
    out += ["", "## New Issues Identified"]
    out += [f"- {i['title']}: owner {i['owner']}, due {i['due'].isoformat()} ({i['priority']})"
            for i in doc["new_issues"]] or ["- None"]
    out += ["", "## Continuous Improvement Backlog"]
    out += [f"- {b}" for b in review["backlog"]] or ["- None"]
    out += ["", "## User Feedback Highlights",
            f"- Positive: {'; '.join(review['positive']) or '—'}",
            f"- Negative: {'; '.join(review['negative']) or '—'}", "", "## Next Review",
            f"- Date: {fmt(doc['next_review_date'] and doc['next_review_date'].isoformat())}",
            f"- Focus areas: {'; '.join(review['focus_areas']) or '—'}"]
    if doc["addenda"]:
        out += ["", "## Addenda"]
        out += [f"- {a['at'].strftime('%Y-%m-%d %H:%M')} UTC, {a['by']}: {a['text']}"
                for a in doc["addenda"]]
    return "\n".join(out) + "\n"
