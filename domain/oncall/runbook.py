"""Runbooks (versioned Markdown with review and validation sign-offs) and training sessions."""

from __future__ import annotations

import difflib
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

SIGN_OFFS = ("reviewed", "validated")
TRAINING_TOPICS = (
    "architecture",
    "monitoring",
    "log_analysis",
    "rollback",
    "escalation",
    "documentation",
)
"""The guide's on-call training topics; a person who attended all of them is trained."""


class Runbook(LedgerAggregate):
    """How to respond to one category of incident; every revision is an event."""

    @staticmethod
    def create_id(category: str, **_: object) -> UUID:
        """One runbook per category: the id derives from it (a second claim conflicts)."""
        return uuid5(NAMESPACE_URL, f"/govledger/runbook/{category}")

    @event("Created")
    def __init__(self, category: str, title: str, content: str) -> None:
        self.category = category
        self.title = title
        self.revisions: list[str] = [content]
        self.sign_offs: list[dict[str, object]] = []

    @property
    def revision(self) -> int:
        """The current revision number (1 for the first text)."""
        return len(self.revisions)

    def revise(self, content: str, summary: str, source_type: str | None = None,
               source_id: str | None = None) -> None:
        """Record a new revision of the text."""
        if content == self.revisions[-1]:
            raise RunbookUnchanged("the new text is the same as the current revision",
                                   runbook_id=str(self.id))
        self._revised(revision=self.revision + 1, content=content, summary=summary,
                      source_type=source_type, source_id=source_id)

    @event("Revised")
    def _revised(self, revision: int, content: str, summary: str, source_type: str | None,
                 source_id: str | None) -> None:
        self.revisions.append(content)

    def sign_off(self, kind: str, by: str | None) -> None:
        """Record that the current revision was reviewed or validated (once per person)."""
        if any(s["kind"] == kind and s["revision"] == self.revision and s["by"] == by
               for s in self.sign_offs):
            raise AlreadySignedOff(f"this revision is already {kind} by this person",
                                   runbook_id=str(self.id), revision=self.revision)
        self._signed_off(kind=kind, revision=self.revision, by=by)

    @event("SignedOff")
    def _signed_off(self, kind: str, revision: int, by: str | None) -> None:
        self.sign_offs.append({"kind": kind, "revision": revision, "by": by})


def diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff between two revisions."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=old_label, tofile=new_label))


class TrainingSession(LedgerAggregate):
    """An on-call training session: topics covered and who attended."""

    @event("Held")
    def __init__(self, title: str, held_on: str, topics: list[str],
                 attendee_ids: list[str], trainer_id: str | None) -> None:
        self.title = title
        self.held_on = held_on
        self.topics = list(topics)
        self.attendee_ids = list(attendee_ids)
        self.trainer_id = trainer_id


def training_status(topics_attended: set[str]) -> str:
    """``trained`` when every guide topic is covered, ``partial`` when some, else ``untrained``."""
    if set(TRAINING_TOPICS) <= topics_attended:
        return "trained"
    return "partial" if topics_attended else "untrained"


class RunbookUnchanged(DomainError):
    """Raised when a revision does not change the text."""

    code = "runbook_unchanged"


class AlreadySignedOff(DomainError):
    """Raised when the same person signs off the same revision twice."""

    code = "already_signed_off"


class RunbookExists(DomainError):
    """Raised when a category already has its runbook."""

    code = "runbook_exists"
