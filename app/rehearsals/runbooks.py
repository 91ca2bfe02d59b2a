"""Planning a rehearsal's playbook from an on-call runbook's current revision (read model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError

from app.oncall.queries import get_runbook
from domain.oncall.runbook_steps import extract_steps

if TYPE_CHECKING:
    from sqlalchemy import Engine


def runbook_playbook(engine: Engine, runbook_id: str, owner_id: str,
                     field: str = "from_runbook_id") -> dict[str, Any]:
    """The runbook's title, revision and ordered steps owned by ``owner_id``.

    Raises ``NotFound`` for an unknown runbook and a ``ValidationError`` naming ``field``
    when its current revision has no numbered steps."""
    book = get_runbook(engine, str(runbook_id))
    steps = [{**s, "owner_id": owner_id} for s in extract_steps(book["content"])]
    if not steps:
        raise ValidationError({field: [
            f"runbook {book['title']!r} (revision {book['revision']}) has no numbered steps"]})
    return {"runbook_id": book["id"], "title": book["title"], "revision": book["revision"],
            "steps": steps}
