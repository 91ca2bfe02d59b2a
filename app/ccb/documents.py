"""Meeting minutes as Markdown, generated from the meeting's recorded events (read models).

The shape follows a CCB minutes template: header, attendees with functions, proxies, quorum,
each agenda item (votes with proxies, tally, quorum snapshot, tie-break, outcome, action items),
meeting-level action items and the next meeting.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.ccb import queries as q
from domain.ccb.meeting import quorum_snapshot
from projections.reviews.tables import action_items

if TYPE_CHECKING:
    from sqlalchemy import Engine

CHOICE = {"approve": "Approve", "reject": "Reject", "abstain": "Abstain"}
TIE_BREAK = {"chair": "chair's casting vote", "status_quo": "status quo (reject)",
             "defer": "defer to the next meeting"}
DEFERRAL = {"timebox": "time-box exceeded", "not_decided_before_close":
            "not decided before the meeting closed", "tie_break_defer": "tie deferred",
            "ratification": "emergency ratification"}


def _t(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


class Minutes:
    """Collects the read models a meeting's minutes need, then renders them."""

    def __init__(self, engine: Engine, meeting_id: str) -> None:
        self.meeting = q.get_meeting(engine, meeting_id)
        self.board = q.get_board(engine, self.meeting["board_id"])
        self.names = q.names(engine)
        self.changes = q.change_titles(engine, [i["change_request_id"]
                                                for i in self.meeting["state"]["items"]])
        self.next = q.next_meeting(engine, self.meeting)
        at = self.meeting["opened_at"] or self.meeting["scheduled_start"]
        try:
            self.charter = q.charter_at(engine, self.board["id"], at)["charter"]
        except Exception:  # noqa: BLE001 - a meeting set before the board: use the current one
            self.charter = self.board["charter"]
        ids = [a["action_item_id"] for a in self.meeting["state"]["actions"]]
        with engine.connect() as conn:
            self.actions = {r.id: r for r in conn.execute(
                select(action_items).where(action_items.c.id.in_(ids)))} if ids else {}
        try:  # the members who sat on the board when the meeting opened (or was set)
            seated = q.members_at(engine, self.board["id"], at)
        except Exception:  # noqa: BLE001 - a meeting set before the board: use the current one
            seated = self.board["members"]
        self.functions = {m["person_id"]: m["function"] for m in seated}

    def name(self, person_id: str | None) -> str:
        return self.names.get(person_id or "", person_id or "—")

    def render(self) -> str:
        """The whole document."""
        parts = [self.header(), self.attendees(), self.proxies(), self.quorum(),
                 self.agenda(), self.meeting_actions(), self.next_meeting()]
        return "\n".join(p for p in parts if p).rstrip() + "\n"

    def header(self) -> str:
        m = self.meeting
        return "\n".join([
            f"# CCB Meeting Minutes: {self.board['name']}", "",
            f"- **Meeting:** `{m['id']}`",
            f"- **Scheduled:** {_t(m['scheduled_start'])} to {_t(m['scheduled_end'])} "
            f"(board time zone {self.charter['timezone']})",
            f"- **Opened:** {_t(m['opened_at'])}",
            f"- **Closed:** {_t(m['closed_at'])}",
            f"- **Status:** {m['status']}",
            f"- **Chair:** {self.name(self.board['chair_id'])}",
            f"- **Time-box:** {self.charter['timebox_minutes']} minutes", ""])

    def attendees(self) -> str:
        state = self.meeting["state"]
        lines = ["## Attendees", "", "| Name | Function | Attendance | Recording |",
                 "|---|---|---|---|"]
        for a in state["attendance"]:
            chair = " (chair)" if a["person_id"] == self.board["chair_id"] else ""
            mode = "in person" if a["mode"] == "in_person" else "remote"
            lines.append(f"| {self.name(a['person_id'])}{chair} | {a['function']} | {mode} | "
                         f"{a['recording_url'] or '—'} |")
        present = {a["person_id"] for a in state["attendance"]}
        absent = [self.name(p) for p in self.functions if p not in present]
        lines += ["", f"**Absent:** {', '.join(absent) if absent else 'none'}", ""]
        return "\n".join(lines)

    def proxies(self) -> str:
        proxies = self.meeting["state"]["proxies"]
        if not proxies:
            return "## Proxies\n\nNone.\n"
        lines = ["## Proxies", "", "| Grantor | Holder | Status |", "|---|---|---|"]
        lines += [f"| {self.name(p['grantor_id'])} | {self.name(p['holder_id'])} | "
                  f"{p['status']} |" for p in proxies]
        return "\n".join(lines) + "\n"

    def quorum(self) -> str:
        c = self.charter
        state = self.meeting["state"]
        snapshot = quorum_snapshot({a["person_id"]: a["function"] for a in state["attendance"]},
                                   state["proxies"], self.functions, c)
        functions = snapshot["functions"]
        proxies = "count" if c["proxies_count_toward_quorum"] else "do not count"
        counted = (f", {len(snapshot['proxies'])} by proxy" if c["proxies_count_toward_quorum"]
                   and snapshot["proxies"] else "")
        return "\n".join([
            "## Quorum", "",
            f"Rule: at least {c['quorum_min_members']} members and "
            f"{c['quorum_min_functions']} distinct functions present (proxies {proxies}).",
            f"Attended: {len(snapshot['present'])} members{counted}, {len(functions)} "
            f"functions ({', '.join(functions) or 'none'}): "
            f"**{'met' if snapshot['met'] else 'not met'}**. "
            "Quorum is checked again at each decision (below).", ""])

    def agenda(self) -> str:
        items = self.meeting["state"]["items"]
        if not items:
            return "## Agenda and decisions\n\nNo items.\n"
        lines = ["## Agenda and decisions", ""]
        for n, item in enumerate(items, 1):
            lines += self.item(n, item)
        return "\n".join(lines)

    def item(self, n: int, item: dict[str, Any]) -> list[str]:
        change = self.changes.get(item["change_request_id"], {})
        lines = [f"### {n}. {change.get('title', item['change_request_id'])}", "",
                 f"- **Change request:** `{item['change_request_id']}` "
                 f"({change.get('category', '?')})",
                 f"- **Requester:** {self.name(item['requester_id'])}"]
        if item["emergency"]:
            lines.append("- **Emergency change:** ratification of the out-of-meeting approval")
        if item.get("carried_over"):
            lines.append(f"- **Carried over:** {DEFERRAL.get(item['carried_over'], item['carried_over'])}")
        lines += self.votes(item)
        lines += self.outcome(item)
        actions = [a for a in self.meeting["state"]["actions"]
                   if a["change_request_id"] == item["change_request_id"]]
        if actions:
            lines.append("- **Action items:**")
            lines += [f"  - {self.action(a)}" for a in actions]
        return [*lines, ""]

    def votes(self, item: dict[str, Any]) -> list[str]:
        votes = list(item["votes"].values())
        if not votes:
            return ["- **Votes:** none"]
        lines = ["- **Votes:**"]
        for v in votes:
            proxy = (f" (by proxy: {self.name(v['cast_by'])} for {self.name(v['member_id'])})"
                     if v["proxy_id"] else "")
            changes = sum(1 for e in item["vote_events"] if e["member_id"] == v["member_id"]) - 1
            changed = f", changed {changes} time{'s' if changes > 1 else ''}" if changes else ""
            lines.append(f"  - {self.name(v['member_id'])} "
                         f"({self.functions.get(v['member_id'], '?')}): "
                         f"{CHOICE[v['choice']]}{proxy}{changed}")
        return lines

    def outcome(self, item: dict[str, Any]) -> list[str]:
        d = item["decision"]
        if d is None:
            return ["- **Outcome:** not decided"]
        if "tally" not in d:
            return [f"- **Outcome:** DEFERRED ({DEFERRAL.get(d['reason'], d['reason'])})"]
        t, quorum = d["tally"], d["quorum"]
        proxies = ", ".join(f"{self.name(p['holder_id'])} for {self.name(p['grantor_id'])}"
                            for p in quorum["proxies"]) or "none"
        lines = [f"- **Tally:** {t['approve']} approve, {t['reject']} reject, "
                 f"{t['abstain']} abstain",
                 f"- **Quorum at decision:** {'met' if quorum['met'] else 'not met'}: "
                 f"{len(quorum['present'])} present "
                 f"({', '.join(quorum['functions'])}); proxies held: {proxies}"]
        if d["tie_break"]:
            casting = (f": {CHOICE[d['casting_vote']]} by {self.name(d['decided_by'])}"
                       if d["casting_vote"] else "")
            lines.append(f"- **Tie-break:** {TIE_BREAK[d['tie_break']]}{casting}")
        lines.append(f"- **Outcome:** {d['outcome'].upper()} at {_t(d['at'])} "
                     f"(decided by {self.name(d['decided_by'])})")
        return lines

    def action(self, a: dict[str, Any]) -> str:
        row = self.actions.get(a["action_item_id"])
        extra = f", {row.priority}, due {row.due.isoformat()}" if row is not None else ""
        return f"{a['title']} (owner: {self.name(a['owner_id'])}{extra})"

    def meeting_actions(self) -> str:
        actions = [a for a in self.meeting["state"]["actions"] if not a["change_request_id"]]
        if not actions:
            return ""
        return "\n".join(["## Other action items", "",
                          *[f"- {self.action(a)}" for a in actions], ""])

    def next_meeting(self) -> str:
        n = self.next
        when = (f"{_t(n['scheduled_start'])} (meeting `{n['id']}`)" if n
                else "not yet scheduled")
        return f"## Next meeting\n\n{when}\n"


def render_minutes(engine: Engine, meeting_id: str) -> str:
    """The meeting's minutes as Markdown."""
    return Minutes(engine, meeting_id).render()
