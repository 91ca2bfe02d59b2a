"""My work for the signed-in person: the tasks of ``app/tasks`` with their URLs, computed once a
request (the home page, the nav's count and ``GET /api/v1/me/tasks`` share it)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, url_for

from app.tasks.queries import my_tasks
from domain.changes.change_request import ChangeRequest
from domain.errors import LedgerError
from web.context import ledger, read_model, view_now


def _approvers(change_id: str, version: int) -> list[str]:
    """Who approved an emergency change by the version the read model holds (so an as-of view
    sees the approvals given by then)."""
    change = ledger().load(ChangeRequest, change_id)
    return [a["approver_id"] for a in change.approvals if a["version"] <= version]


def my_work() -> dict[str, Any]:
    """The signed-in person's open tasks, each with its ``url`` (cached for the request)."""
    if "my_work" not in g:
        found = my_tasks(read_model(), g.user["id"], view_now(), approvers=_approvers)
        for task in found["items"]:
            link = task.pop("link")
            task["url"] = url_for(link["endpoint"], **link["values"]) + (
                f"#{link['anchor']}" if link["anchor"] else "")
            task.pop("of", None)
        g.my_work = found
    return g.my_work


def my_work_count() -> int | None:
    """How many tasks wait for the signed-in person (None when nobody is signed in, or when
    they cannot be counted: the nav's badge never breaks a page, an error page included)."""
    if g.get("user") is None:
        return None
    try:
        return my_work()["counts"]["total"]
    except LedgerError:
        return None
    except Exception:  # noqa: BLE001 - a badge must not turn a page into a 500
        current_app.logger.exception("counting the person's tasks failed")
        return None
