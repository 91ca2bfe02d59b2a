"""A meeting's state is kept as one row per event and read back as the document it used to be.

The CCB projection folds a meeting's events into its state in memory and writes the rows each
event adds or changes. Read back (``projections.ccb.meeting_state.states_of``), the rows must
give exactly the state the fold built: same entries, order, keys and values.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.audit.as_of import drop
from app.ccb import queries as q
from app.demo import load_demo
from app.generate import generate
from projections.ccb.meeting_state import states_of
from projections.ccb.projection import CcbProjection
from projections.ccb.tables import meeting_proxies, meeting_votes, meetings
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    import pytest

    from app.bootstrap import Services


def folded_states(services: Services, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every meeting's state as the projection's fold leaves it in memory, replaying the whole
    log from nothing (an as-of view of the head: batches of many events, no row read back)."""
    seen: dict[str, Any] = {}
    save = CcbProjection.save_meeting

    def recording(w: Any, e: Any, **values: Any) -> None:
        save(w, e, **values)
        seen[str(e.originator_id)] = copy.deepcopy(CcbProjection.meeting(w, e)["state"])

    monkeypatch.setattr(CcbProjection, "save_meeting", staticmethod(recording))
    head = services.ledger.recorder.max_notification_id()
    drop(services.as_of.build(head))
    monkeypatch.undo()
    return seen


def stored_states(services: Services) -> dict[str, Any]:
    """Every meeting's state read back from the live rows, written command by command."""
    services.projections.catch_up()
    with services.engine.connect() as conn:
        reasons = dict(conn.execute(select(meetings.c.id, meetings.c.deferral_reason)).all())
        return states_of(conn, reasons)


def test_the_meetings_read_back_as_the_fold_built_them(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(services)
    generate(services, 4000, seed=7)  # many more meetings, written in batches of events
    stored = stored_states(services)
    folded = folded_states(services, monkeypatch)
    assert folded.keys() <= stored.keys() and len(folded) >= 3
    for meeting_id, state in folded.items():
        assert stored[meeting_id] == state, meeting_id
        # the same order of keys too: the API and the minutes show the document as it is
        assert [list(i) for i in stored[meeting_id]["items"]] == \
               [list(i) for i in state["items"]]
    kinds = {p["status"] for s in stored.values() for p in s["proxies"]}
    decided = [i for s in stored.values() for i in s["items"] if i["decision"]]
    assert decided and kinds & {"used", "lapsed", "revoked"}


def test_proxies_votes_and_a_changed_vote_are_rows_of_their_own(services: Services) -> None:
    ccb = running_meeting(services, n_changes=1, attend=3)
    change = ccb.changes[0]
    absent, holder = ccb.people[4], ccb.people[1]
    proxy = ccb.proxy(absent, holder)
    ccb.vote(holder, change, "approve")
    ccb.vote(holder, change, "reject")  # changed: the last one counts
    ccb.vote(holder, change, "approve", on_behalf_of=absent)
    services.projections.catch_up()

    state = q.get_meeting(services.engine, ccb.meeting_id)["state"]
    (item,) = state["items"]
    assert [(v["member_id"], v["choice"]) for v in item["vote_events"]] == [
        (holder["id"], "approve"), (holder["id"], "reject"), (absent["id"], "approve")]
    assert {m: v["choice"] for m, v in item["votes"].items()} == {
        holder["id"]: "reject", absent["id"]: "approve"}
    assert [(p["id"], p["status"]) for p in state["proxies"]] == [(proxy, "used")]
    with services.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(meeting_votes).where(
            meeting_votes.c.meeting_id == ccb.meeting_id)) == 3
        assert conn.scalar(select(meeting_proxies.c.status).where(
            meeting_proxies.c.meeting_id == ccb.meeting_id)) == "used"
