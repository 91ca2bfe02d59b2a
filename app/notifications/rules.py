"""Who gets what: the notifications one event of the log implies.

Email, to people: the responder paged or escalated to (every level, paging can never be
switched off), the owner of an action item raised or reassigned to them, the colleague asked
to take a shift and the requester whose swap was accepted, each board member with votes
waiting for them when a meeting opens (one email per member, naming how many), the other
members of the board when an emergency change gets its first approval. Other kinds
honour the person's muted kinds (``Preferences``).

Webhooks, to every active webhook subscribed to the event's name (``*``: all).
"""

from __future__ import annotations

import html
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from app.ledger import SYSTEM_ACTOR
from domain.ccb.board import Board
from domain.ccb.meeting import Meeting
from domain.changes.change_request import ChangeRequest
from domain.errors import NotFound
from domain.notifications.integration import AlertSource
from domain.notifications.preferences import PAGING_KINDS, Preferences
from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.people.person import Person
from domain.reviews.action_item import ActionItem
from domain.topics import topics_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.ledger import Ledger


@dataclass(frozen=True)
class Spec:
    """One notification to queue (see ``domain.notifications.notification.Notification``)."""

    key: str
    channel: str
    kind: str
    recipient_id: str | None
    address: str
    subject_type: str
    subject_id: str
    title: str
    content: dict[str, Any] = field(default_factory=dict)


WEBHOOK_NAMES: dict[type, str] = {
    Incident.Opened: "incident.opened", Incident.Paged: "incident.paged",
    Incident.EscalationTriggered: "incident.escalated",
    Incident.Acknowledged: "incident.acknowledged", Incident.Mitigated: "incident.mitigated",
    Incident.Resolved: "incident.resolved", AlertSource.AlertReceived: "alert.received",
    ActionItem.Raised: "action_item.assigned", ActionItem.Reassigned: "action_item.assigned",
    Rotation.SwapRequested: "swap.requested", Rotation.SwapAccepted: "swap.accepted",
}
"""Events of the log → the webhook event name they are delivered as."""

EMAIL_ONLY: tuple[type, ...] = (Meeting.Opened, ChangeRequest.EmergencyApprovalGiven)
"""Events that notify people by email and are not offered to webhooks (each may notify
several people: one email per person, each with its own key)."""

TOPICS = tuple(t for cls in (*WEBHOOK_NAMES, *EMAIL_ONLY) for t in topics_of(cls))
"""Every topic the worker reads."""


class Rules:
    """Derives the notifications of an event, looking up people and records on the ledger."""

    def __init__(self, ledger: Ledger, webhooks: Callable[[], list[dict[str, Any]]],
                 public_url: str) -> None:
        self.ledger = ledger
        self.webhooks = webhooks
        self.public_url = public_url.rstrip("/")
        self._loaded: dict[tuple[type, str], Any] | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Within the block, each record (an incident, a meeting, a person…) is loaded from
        the log once: the events of a batch mostly concern the same few records, and loading
        one replays all its events (a meeting's run to hundreds)."""
        self._loaded = {}
        try:
            yield
        finally:
            self._loaded = None

    def _load(self, cls: type, aggregate_id: Any) -> Any:
        """``ledger.load``, remembered for the batch (its NotFound too: any other error, such
        as a lost connection, is raised each time and never kept for the batch's other
        events)."""
        if self._loaded is None:
            return self.ledger.load(cls, aggregate_id)
        key = (cls, str(aggregate_id))
        if key not in self._loaded:
            try:
                self._loaded[key] = self.ledger.load(cls, aggregate_id)
            except NotFound as missing:
                self._loaded[key] = missing
        found = self._loaded[key]
        if isinstance(found, NotFound):
            raise found
        return found

    def notifications(self, event: Any, position: int) -> list[Spec]:
        """Every notification ``event`` (at ``position`` in the log) implies."""
        if isinstance(event, EMAIL_ONLY):
            return self._fanout(event)
        name = WEBHOOK_NAMES.get(type(event))
        if name is None:
            return []
        subject_type, subject_id, title, path = self._subject(event)
        specs = self._emails(event, name, subject_type, subject_id, title, path)
        for hook in self.webhooks():
            if hook["active"] and ("*" in hook["events"] or name in hook["events"]) and (
                    hook["registered_at"] <= event.timestamp):
                specs.append(self._webhook(hook, event, name, position, subject_type,
                                           subject_id, title, path))
        return specs

    # -- what the event is about -----------------------------------------------------------------

    def _subject(self, event: Any) -> tuple[str, str, str, str]:
        if isinstance(event, Incident.Event):
            incident = self._load(Incident, event.originator_id)
            return ("incident", str(incident.id), f"[{incident.severity}] {incident.title}",
                    f"/oncall/incidents/{incident.id}")
        if isinstance(event, AlertSource.Event):
            incident_id = event.incident_id
            return ("incident" if incident_id else "alert", incident_id or str(event.originator_id),
                    event.summary, f"/oncall/incidents/{incident_id}" if incident_id else "/")
        if isinstance(event, ActionItem.Event):
            item = self._load(ActionItem, event.originator_id)
            return ("action_item", str(item.id), item.title, f"/action-items/{item.id}")
        rotation = self._load(Rotation, event.originator_id)
        return ("rotation", str(rotation.id), rotation.name, f"/oncall/rotations/{rotation.id}")

    def link(self, path: str) -> str:
        """The record's address (absolute when ``GOVLEDGER_PUBLIC_URL`` is set)."""
        return self.public_url + path

    # -- email -----------------------------------------------------------------------------------

    def _emails(self, event: Any, name: str, subject_type: str, subject_id: str, title: str,
                path: str) -> list[Spec]:
        found = self._people(event)
        if found is None:
            return []
        kind, person_id, key, headline, lines = found
        spec = self._email(kind, person_id, key, headline, lines, subject_type, subject_id,
                           title, path)
        return [] if spec is None else [spec]

    def _email(self, kind: str, person_id: str | None, key: str, headline: str,
               lines: list[str], subject_type: str, subject_id: str, title: str,
               path: str) -> Spec | None:
        """The email of ``kind`` to one person, unless they are inactive or muted it."""
        if person_id is None:
            return None
        person = self._load(Person, person_id)
        if not person.active or (kind not in PAGING_KINDS and kind in self._muted(person_id)):
            return None
        link = self.link(path)
        text = "\n".join([headline, "", *lines, "", f"Open the record: {link}", "",
                          "-- Governance Ledger"])
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        page = (f"<html><body><h2>{html.escape(headline)}</h2>{body}"
                f'<p><a href="{html.escape(link, quote=True)}">Open the record</a></p>'
                "<p>-- Governance Ledger</p></body></html>")
        return Spec(key=key, channel="email", kind=kind, recipient_id=str(person.id),
                    address=person.email, subject_type=subject_type, subject_id=subject_id,
                    title=title, content={"kind": kind, "subject": headline, "text": text,
                                          "html": page, "link": link})

    def _muted(self, person_id: str) -> list[str]:
        try:
            return list(self._load(Preferences, Preferences.create_id(person_id)).muted)
        except Exception:  # noqa: BLE001 - NotFound: no preferences set, nothing muted
            return []

    def _people(self, e: Any) -> tuple[str, str | None, str, str, list[str]] | None:
        """(kind, person, key, headline, lines) of the one email an event implies, if any."""
        oid = str(e.originator_id)
        if isinstance(e, Incident.Paged):
            incident = self._load(Incident, e.originator_id)
            return ("incident.paged", e.person_id, f"incident:{oid}:paged:{e.level}",
                    f"Paged ({e.level}): [{incident.severity}] {incident.title}",
                    [f"You are paged as {e.level} for this {incident.severity} incident "
                     f"({incident.category}).", "Acknowledge it within 15 minutes, or it "
                     "escalates to the next level."])
        if isinstance(e, Incident.EscalationTriggered):
            incident = self._load(Incident, e.originator_id)
            return ("incident.escalated", e.person_id, f"incident:{oid}:escalated:{e.level}",
                    f"Escalated to you ({e.level}): [{incident.severity}] {incident.title}",
                    [f"The incident escalated to {e.level}: trigger {e.trigger}.",
                     f"Status: {incident.status}."])
        if isinstance(e, (ActionItem.Raised, ActionItem.Reassigned)):
            item = self._load(ActionItem, e.originator_id)
            return ("action_item.assigned", e.owner_id,
                    f"action_item:{oid}:assigned:{e.originator_version}",
                    f"Action item assigned to you: {item.title}",
                    [f"Priority {item.priority}, due {item.due}."])
        if isinstance(e, Rotation.SwapRequested):
            return ("swap.requested", e.counterpart_id, f"swap:{e.swap_id}:requested",
                    "A colleague asks you to take a shift",
                    [f"Week of {e.week_start}, as {e.role}."])
        if isinstance(e, Rotation.SwapAccepted):
            swap = self._load(Rotation, e.originator_id).swaps.get(e.swap_id) or {}
            return ("swap.accepted", swap.get("requester_id"), f"swap:{e.swap_id}:accepted",
                    "Your shift swap was accepted",
                    [f"Week of {swap.get('week_start')}, as {swap.get('role')}."])
        return None

    def _fanout(self, e: Any) -> list[Spec]:
        """The emails of an event that tells several people (``EMAIL_ONLY``)."""
        oid = str(e.originator_id)
        specs: list[Spec | None] = []
        if isinstance(e, Meeting.Opened):
            meeting = self._load(Meeting, e.originator_id)
            board = self._load(Board, meeting.board_id)
            title = f"{board.name} meeting of {meeting.scheduled_start:%Y-%m-%d %H:%M} UTC"
            # the agenda as it stood when the meeting opened
            items = [i for i in meeting.items.values() if i["version"] < e.originator_version]
            for member_id in board.members:
                waiting = [i for i in items if i["requester_id"] != member_id
                           or board.charter.get("requester_may_vote")]
                if not waiting:
                    continue
                n = len(waiting)
                votes = "1 vote waits" if n == 1 else f"{n} votes wait"
                specs.append(self._email(
                    "meeting.votes_waiting", member_id,
                    f"meeting:{oid}:votes_waiting:{member_id}",
                    f"The meeting is open: {votes} for you",
                    [f"{board.name} opened its meeting of {meeting.scheduled_start:%Y-%m-%d %H:%M}"
                     f" UTC; {votes} for you on its agenda."],
                    "meeting", oid, title, f"/meetings/{oid}"))
        if isinstance(e, ChangeRequest.EmergencyApprovalGiven):
            change = self._load(ChangeRequest, e.originator_id)
            first = change.approvals[0] if change.approvals else None
            if first is None or first["version"] != e.originator_version:
                return []  # only the first approval asks for a second
            board = self._load(Board, change.board_id)
            approver = self._load(Person, e.approver_id)
            for member_id in board.members:
                if member_id in (change.requester_id, e.approver_id):
                    continue
                specs.append(self._email(
                    "change.awaiting_second_approval", member_id,
                    f"change:{oid}:awaiting_second_approval:{member_id}",
                    f"Emergency change awaits a second approver: {change.title}",
                    [f"{approver.name} ({e.function}, {e.capacity}) approved this emergency "
                     "change; it needs a second approval: the chair (or delegate) and an "
                     "approver of another function."],
                    "change_request", oid, change.title, f"/changes/{oid}"))
        return [s for s in specs if s is not None]

    # -- reminders (clock-driven, not from one event) --------------------------------------------

    def reminder(self, item: dict[str, Any], kind: str) -> Spec | None:
        """The email reminding an action item's owner it is due tomorrow or overdue (once per
        item, kind and due date: the key names all three)."""
        if item.get("owner_id") is None:
            return None
        person = self._load(Person, item["owner_id"])
        if not person.active or kind in self._muted(str(person.id)):
            return None
        when = "is due tomorrow" if kind == "action_item.due_tomorrow" else "is overdue"
        headline = f"Action item {when}: {item['title']}"
        link = self.link(f"/action-items/{item['id']}")
        lines = [f"Priority {item['priority']}, due {item['due']}, status {item['status']}."]
        text = "\n".join([headline, "", *lines, "", f"Open the record: {link}", "",
                          "-- Governance Ledger"])
        page = (f"<html><body><h2>{html.escape(headline)}</h2><p>{html.escape(lines[0])}</p>"
                f'<p><a href="{html.escape(link, quote=True)}">Open the record</a></p>'
                "<p>-- Governance Ledger</p></body></html>")
        return Spec(key=f"action_item:{item['id']}:{kind.split('.')[1]}:{item['due']}",
                    channel="email", kind=kind, recipient_id=str(person.id),
                    address=person.email, subject_type="action_item", subject_id=item["id"],
                    title=item["title"], content={"kind": kind, "subject": headline,
                                                  "text": text, "html": page, "link": link})

    def review_reminder(self, review: dict[str, Any]) -> Spec | None:
        """The email reminding a launch's owner that its review is tomorrow (once per review
        and date: moving the review earns a new reminder)."""
        kind = "review.due_tomorrow"
        day = review["scheduled_for"]
        if review["owner_id"] == SYSTEM_ACTOR:
            return None  # recorded by the system (a seed or an import): no one to remind
        return self._email(
            kind, review["owner_id"], f"review:{review['id']}:due_tomorrow:{day}",
            f"Post-launch review due tomorrow: {review['launch_name']}",
            [f"Review {review['seq']} ({review['kind']}) of {review['launch_name']} is "
             f"scheduled for {day}."],
            "review", review["id"], f"{review['launch_name']} review {review['seq']}",
            f"/reviews/{review['id']}")

    # -- webhooks --------------------------------------------------------------------------------

    def _webhook(self, hook: dict[str, Any], event: Any, name: str, position: int,
                 subject_type: str, subject_id: str, title: str, path: str) -> Spec:
        record = {k: v for k, v in event.__dict__.items()
                  if k not in ("originator_topic",) and not k.endswith("_hash")}
        body = {"event": name, "position": position, "occurred_at": event.timestamp.isoformat(),
                "subject": {"type": subject_type, "id": subject_id, "title": title},
                "record": jsonable(record), "link": self.link(path)}
        if hook["format"] == "slack":
            body = {"text": f"*{name}*: {title} <{self.link(path)}|open>"}
        return Spec(key=f"log:{position}:webhook:{hook['id']}", channel="webhook", kind=name,
                    recipient_id=hook["id"], address=hook["url"], subject_type=subject_type,
                    subject_id=subject_id, title=title, content={"event": name, "body": body})


def jsonable(value: Any) -> Any:
    """``value`` with dates, UUIDs and other objects as strings (for a JSON body)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
