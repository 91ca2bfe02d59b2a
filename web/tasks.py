"""My work for the signed-in person: the tasks of ``app/tasks`` with their URLs, computed once a
request (the home page, the nav's count and ``GET /api/v1/me/tasks`` share it) and, for the
home page and the count, reused for a few seconds while nothing moved (``my_recent_work``)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app, g, request

from app.tasks.queries import my_tasks
from domain.changes.change_request import ChangeRequest
from domain.errors import LedgerError
from web.context import current_as_of, ledger, positions, read_model, services, view_now
from web.links import url_for

COUNT_SECONDS = 5.0
"""How long a person's tasks (the home page's list, the nav's count) may be reused while no
read model moved (times pass: a task may fall due without any event, so they are worked out
again at least this often)."""
COUNT_ENTRIES = 2000

_counts: dict[str, tuple[tuple[Any, ...], float, dict[str, Any]]] = {}
_counts_lock = threading.Lock()


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


def my_recent_work() -> dict[str, Any]:
    """``my_work()``, or the same tasks worked out for this person in the last
    ``COUNT_SECONDS`` while no read model moved and the view's clock stayed in the same minute
    (the home page and the nav's count: a dozen queries a page view otherwise). The API's
    ``/me/tasks`` always works them out (its ``as_of`` is the moment asked)."""
    if "my_work" in g or current_as_of() is not None:
        return my_work()
    return _cached_work(g.user["id"])


def my_work_count() -> int | None:
    """How many tasks wait for the signed-in person (None when nobody is signed in, or when
    they cannot be counted: the nav's badge never breaks a page, an error page included)."""
    if g.get("user") is None:
        return None
    try:
        return int(my_recent_work()["counts"]["total"])
    except LedgerError:
        return None
    except Exception:  # noqa: BLE001 - a badge must not turn a page into a 500
        current_app.logger.exception("counting the person's tasks failed")
        return None


def _cached_work(person_id: str) -> dict[str, Any]:
    """The person's tasks, reused for ``COUNT_SECONDS`` while every read model's position
    and the minute of the view's clock are unchanged. The value is shared: callers read it."""
    at = (view_now().replace(second=0, microsecond=0).isoformat(), request.script_root,
          *sorted(positions().items()))  # caught up, as the tasks themselves would be
    key = f"{services().settings.database_url}|{person_id}"
    now = time.monotonic()
    with _counts_lock:
        known = _counts.get(key)
    if known is not None and known[0] == at and now - known[1] < COUNT_SECONDS:
        return known[2]
    found = my_work()
    with _counts_lock:
        if len(_counts) >= COUNT_ENTRIES:
            _counts.clear()
        _counts[key] = (at, now, found)
    return found
