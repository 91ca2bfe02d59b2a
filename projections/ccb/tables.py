"""Read-model tables of the Change Control Board: boards, charter history, meetings, decision log, freeze windows."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from projections.tables import UtcDateTime, metadata


boards = Table(
    "rm_boards",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("chair_id", String(36), nullable=False),
    Column("members", JSON, nullable=False),
    Column("charter", JSON, nullable=False),
    Column("queue", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)


board_charters = Table(
    "rm_board_charters",
    metadata,
    Column("board_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_at", UtcDateTime(), nullable=False, index=True),
    Column("charter", JSON, nullable=False),
    Column("changes", JSON, nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
)
"""Every charter a board ever had, from the event that put it in force."""


board_memberships = Table(
    "rm_board_memberships",
    metadata,
    Column("board_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("change", String(20), nullable=False),
    Column("function", String(40), nullable=False),
    Column("previous_function", String(40), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
    Index("ix_rm_board_memberships_board_at", "board_id", "at"),
)
"""Every membership change of every board, one row per member per event: ``created`` (the
founding members), ``joined``, ``left`` and ``function_changed``, with who and why. The
membership in force at a moment is these rows replayed up to it."""


meetings = Table(
    "rm_meetings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("board_id", String(36), nullable=False, index=True),
    Column("series_id", String(36), nullable=True),
    Column("scheduled_start", UtcDateTime(), nullable=False, index=True),
    Column("scheduled_end", UtcDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("deferral_reason", String(40), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_meetings_status_start", "status", "scheduled_start", "id"),
)
"""One row per meeting. What happened in it is in the five tables below, one row per event
(``version``: the meeting event that recorded it; ``at``: its time as ISO 8601 text).
``projections.ccb.meeting_state`` puts them together as the meeting's ``state``."""


meeting_attendance = Table(
    "rm_meeting_attendance",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("function", String(40), nullable=True),
    Column("recording_url", Text, nullable=True),
    Column("recorded_by", String(36), nullable=True),
    Column("at", String(40), nullable=False),
)
"""Who checked in to a meeting, how, and who recorded it."""


meeting_proxies = Table(
    "rm_meeting_proxies",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("meeting_id", String(36), nullable=False),
    Column("proxy_id", String(36), nullable=False),
    Column("grantor_id", String(36), nullable=False),
    Column("holder_id", String(36), nullable=False),
    Column("status", String(20), nullable=False),
    Column("given_by", String(36), nullable=True),
    Column("at", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_meeting_proxies_meeting", "meeting_id", "version"),
)
"""The proxies given for a meeting (``id``: ``<meeting id>:<proxy id>``); ``status`` is
active, used, revoked or lapsed."""


meeting_items = Table(
    "rm_meeting_items",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("meeting_id", String(36), nullable=False),
    Column("change_request_id", String(36), nullable=False),
    Column("requester_id", String(36), nullable=True),
    Column("emergency", Boolean, nullable=True),
    Column("carried_over", String(40), nullable=True),
    Column("casting_vote", JSON, nullable=True),
    Column("decision", JSON, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_rm_meeting_items_meeting", "meeting_id", "version"),
)
"""A meeting's agenda (``id``: ``<meeting id>:<change request id>``), with the chair's casting
vote and the item's decision once taken."""


meeting_votes = Table(
    "rm_meeting_votes",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("change_request_id", String(36), nullable=False),
    Column("member_id", String(36), nullable=False),
    Column("choice", String(20), nullable=False),
    Column("cast_by", String(36), nullable=True),
    Column("proxy_id", String(36), nullable=True),
    Column("at", String(40), nullable=False),
)
"""Every vote cast in a meeting, a changed vote included (a member's last one counts)."""


meeting_actions = Table(
    "rm_meeting_actions",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("action_item_id", String(36), nullable=False),
    Column("change_request_id", String(36), nullable=True),
    Column("title", Text, nullable=False),
    Column("owner_id", String(36), nullable=True),
)
"""Action items raised in a meeting."""


decisions = Table(
    "rm_decisions",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("board_id", String(36), nullable=True, index=True),
    Column("meeting_id", String(36), nullable=True, index=True),
    Column("change_request_id", String(36), nullable=False, index=True),
    Column("outcome", String(20), nullable=False, index=True),
    Column("decided_at", UtcDateTime(), nullable=False, index=True),
    Column("decided_by", String(36), nullable=True),
    Column("tally", JSON, nullable=True),
    Column("quorum", JSON, nullable=True),
    Column("tie_break", String(20), nullable=True),
    Column("casting_vote", String(20), nullable=True),
    Column("emergency", Boolean, nullable=False),
    Column("ratification", String(20), nullable=True),
    Column("ratified_at", UtcDateTime(), nullable=True),
    Column("votes", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("reason", String(40), nullable=True),
    Index("ix_rm_decisions_log_order", "decided_at", "id"),
    Index("ix_rm_decisions_board_log", "board_id", "decided_at", "id"),
    Index("ix_rm_decisions_outcome_log", "outcome", "decided_at", "id"),
)
"""The decision log: every decision with tally, quorum snapshot and the events it rests on.
Items deferred when their meeting closes are decisions too (outcome ``deferred``, ``reason``
``timebox`` or ``not_decided_before_close``); a tie deferred by the charter has reason
``tie_break_defer``."""


freeze_windows = Table(
    "rm_freeze_windows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("start", UtcDateTime(), nullable=False, index=True),
    Column("end", UtcDateTime(), nullable=False),
    Column("systems", JSON, nullable=False),
    Column("reason", Text, nullable=True),
    Column("declared_by", String(36), nullable=True),
    Column("declared_at", UtcDateTime(), nullable=False),
    Column("lifted_at", UtcDateTime(), nullable=True),
    Column("lifted_by", String(36), nullable=True),
)
"""Freeze (blackout) windows of the change calendar, lifted ones kept with when and who."""
