"""The shape of "my work" in the JSON API (``GET /api/v1/me/tasks``)."""

from __future__ import annotations

from marshmallow import fields

from app.schemas import Schema, when


class TaskSchema(Schema):
    """One open thing waiting for the person."""

    kind = fields.String(metadata={"description": "incident | vote | check_in | "
                                   "emergency_approval | swap | shift | action_item | "
                                   "review_update | activity"})
    title = fields.String()
    detail = fields.String()
    url = fields.String(metadata={"description": "the page where it is done"})
    due_at = when(allow_none=True, metadata={"description": "ISO 8601, UTC"})
    due_label = fields.String(metadata={"description": "what the time is: due, starts, ends, "
                                        "meeting ends"})
    overdue = fields.Boolean()


class TasksSchema(Schema):
    """Everything waiting for the signed-in person, most urgent kinds first."""

    items = fields.List(fields.Nested(TaskSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "per kind, total and overdue"})
    as_of = when(metadata={"description": "the moment the list was judged at"})
