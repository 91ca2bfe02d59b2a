"""Projection of action items into ``rm_action_items``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Date, String, Table, Text

from domain.actions import ActionItem
from projections.base import Projection, handles
from projections.tables import UtcDateTime, metadata

if TYPE_CHECKING:
    from projections.base import Writer

action_items = Table(
    "rm_action_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("due", Date, nullable=False, index=True),
    Column("priority", String(2), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("source_type", String(20), nullable=False),
    Column("source_id", String(36), nullable=True, index=True),
    Column("raised_by", String(36), nullable=True),
    Column("raised_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


class ActionItemProjection(Projection):
    """Keeps the action item tracker in step with ActionItem events."""

    name = "action_items"
    tables = (action_items,)

    @handles(ActionItem.Raised)
    def raised(self, w: Writer, e: Any) -> None:
        from datetime import date

        w.insert(action_items, id=str(e.originator_id), title=e.title,
                 description=e.description, owner_id=e.owner_id,
                 due=date.fromisoformat(e.due), priority=e.priority, status="open",
                 source_type=e.source_type, source_id=e.source_id, raised_by=e.actor_id,
                 raised_at=e.timestamp, updated_at=e.timestamp)
