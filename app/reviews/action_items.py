"""Action item commands (raised from any area) and follow-up policies."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any
from uuid import UUID

from app.ledger import Ledger
from domain.base import now
from domain.ccb.meeting import Meeting
from domain.errors import DomainError, InvalidInput, NotFound
from domain.oncall.incident import Incident
from domain.people.person import Person
from domain.reviews.action_item import (
    PRIORITIES,
    ActionItem,
    FollowUpPolicy,
    default_due,
)
from domain.rehearsals.rehearsal import Rehearsal
from domain.reviews.review import Launch, Review
from domain.topics import topics_of

SOURCE_RECORDS: dict[str, tuple[type, str]] = {
    "meeting": (Meeting, "meeting"), "incident": (Incident, "incident"),
    "drill": (Incident, "drill"), "rehearsal": (Rehearsal, "rehearsal"),
    "review": (Review, "review"), "launch": (Launch, "launch"),
}
"""An action item's source type → the aggregate its ``source_id`` must name (``manual``: any
text)."""


def _is_record_id(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


class ActionItemService:
    """Use cases of the action item tracker."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def raise_action_item(self, title: str, owner_id: str, priority: str = "P2",
                          due: date | None = None, source_type: str = "manual",
                          source_id: str | None = None, description: str = "",
                          save: bool = True, due_reason: str | None = None) -> ActionItem:
        """Raise an action item; its due date defaults from the priority and the clock.

        Areas that raise items as part of a bigger command pass ``save=False`` and save the
        returned aggregate together with their own (one save per use case).
        """
        self.ledger.writer()
        self.ledger.load(Person, owner_id)
        if not title.strip() or len(title) > 200 or len(str(source_id or "")) > 100:
            raise InvalidActionItem("an action item needs a title of at most 200 characters "
                                    "and a source id of at most 100", title=title[:200])
        if priority not in PRIORITIES:
            raise InvalidPriority(f"priority must be one of {', '.join(PRIORITIES)}",
                                  priority=priority)
        today = now().date()
        item = ActionItem.raise_item(title=title, description=description, owner_id=str(owner_id),
                                     due=due or default_due(priority, today), today=today,
                                     priority=priority, due_reason=due_reason,
                                     source_type=source_type,
                                     source_id=str(source_id) if source_id else None)
        if save:
            self.ledger.save(item)
        return item

    def create_action_item(self, **fields: Any) -> dict[str, Any]:
        """Raise an action item and return its id and status; an owner or a source record that
        does not exist is refused naming its field (422). A source id that is a record id (a
        UUID) must name a record of its type; any other text is a reference outside the ledger
        (``INC-1042`` in another tool) and is kept as written."""
        self.ledger.writer()
        self._check_reference("owner_id", Person, fields.get("owner_id"), "person")
        source_type, source_id = fields.get("source_type", "manual"), fields.get("source_id")
        if source_id and source_type in SOURCE_RECORDS and _is_record_id(source_id):
            cls, noun = SOURCE_RECORDS[source_type]
            self._check_reference("source_id", cls, source_id, noun)
        item = self.raise_action_item(**fields)
        return {"id": str(item.id), "status": item.status, "due": item.due}

    def _check_reference(self, field: str, cls: type, ref_id: Any, noun: str) -> None:
        try:
            self.ledger.load(cls, str(ref_id))
        except NotFound:
            raise InvalidInput.field(field, f"there is no {noun} with id {ref_id}; choose one "
                                            "from the list") from None

    def update_action_item_status(self, item_id: UUID | str, status: str, note: str = "",
                                  review_id: str | None = None) -> dict[str, Any]:
        """Record a status update with a note (blocked needs the note as its reason)."""
        self.ledger.writer()
        item = self.ledger.load(ActionItem, item_id)
        item.update_status(status, note, review_id)
        self.ledger.save(item)
        return _summary(item)

    def reassign_action_item(self, item_id: UUID | str, owner_id: str) -> dict[str, Any]:
        """Give an item to someone else (reason from the command context)."""
        self.ledger.writer()
        item = self.ledger.load(ActionItem, item_id)
        self.ledger.load(Person, owner_id)
        item.reassign(str(owner_id))
        self.ledger.save(item)
        return _summary(item)

    def change_action_item_due(self, item_id: UUID | str, due: date) -> dict[str, Any]:
        """Move an item's due date (reason from the command context)."""
        self.ledger.writer()
        item = self.ledger.load(ActionItem, item_id)
        item.change_due(due)
        self.ledger.save(item)
        return _summary(item)

    def define_follow_up_policy(self, name: str, within_days: int,
                                source_type: str | None = None,
                                priority: str | None = None) -> dict[str, Any]:
        """Define a follow-up policy (admins only)."""
        self.ledger.writer("admin")
        policy = FollowUpPolicy(name=name, source_type=source_type or None,
                                priority=priority or None, within_days=int(within_days))
        self.ledger.save(policy)
        return {"id": str(policy.id), "name": name}

    def retire_follow_up_policy(self, policy_id: UUID | str) -> dict[str, Any]:
        """Stop applying a follow-up policy (admins only)."""
        self.ledger.writer("admin")
        policy = self.ledger.load(FollowUpPolicy, policy_id)
        policy.retire()
        self.ledger.save(policy)
        return {"id": str(policy.id), "active": policy.active}

    def open_action_items(self, sources: Collection[tuple[str, str]] | None = None
                          ) -> dict[str, str]:
        """Every action item not completed, by id, with its title, read from the event log;
        with ``sources`` ((source type, source id) pairs), only the items raised from them.

        Commands decide from the log, not from read models (which may lag behind).
        """
        topics = [*topics_of(ActionItem.Raised), *topics_of(ActionItem.StatusUpdated)]
        titles: dict[str, str] = {}
        done: set[str] = set()
        position = 0
        while True:
            batch = self.ledger.recorder.select_notifications(start=position + 1, limit=1000,
                                                       topics=topics)
            if not batch:
                break
            for notification in batch:
                e = self.ledger.mapper.to_domain_event(notification)
                key = str(e.originator_id)
                if isinstance(e, ActionItem.Raised):
                    if sources is None or (e.source_type, e.source_id) in sources:
                        titles[key] = e.title
                elif e.status == "completed":
                    done.add(key)
            position = batch[-1].id
        return {k: v for k, v in titles.items() if k not in done}


def _summary(item: ActionItem) -> dict[str, Any]:
    return {"id": str(item.id), "status": item.status, "owner_id": item.owner_id,
            "due": item.due}


class InvalidActionItem(DomainError):
    """Raised when an item's title or source id does not fit the tracker."""

    code = "invalid_action_item"


class InvalidPriority(DomainError):
    """Raised when an item's priority is not P0, P1 or P2."""

    code = "invalid_priority"
