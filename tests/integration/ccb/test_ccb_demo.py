"""The demo data holds a board with the guide's five roles and a documented inaugural meeting."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from app.ccb import queries as q
from app.ccb.documents import render_minutes
from app.demo import load_demo

if TYPE_CHECKING:
    from app.bootstrap import Services


def test_the_demo_has_a_five_role_board_an_inaugural_meeting_minutes_and_a_decision_log(
        services: Services) -> None:
    load_demo(services)
    services.projections.catch_up()

    [board] = q.list_boards(services.engine)
    assert sorted(m["function"] for m in board["members"]) == [
        "devops", "engineering", "product", "qa", "security"]
    inaugural = q.list_meetings(services.engine, board["id"])[-1]
    assert inaugural["status"] == "closed"
    log = q.list_decisions(services.engine, board_id=board["id"])
    meeting_decisions = [d for d in log if d["kind"] == "meeting"]
    assert len(meeting_decisions) >= 3
    assert {d["tie_break"] for d in meeting_decisions} >= {"chair"}
    assert [d["ratification"] for d in log if d["kind"] == "emergency"] == ["ratified"]
    minutes = render_minutes(services.engine, inaugural["id"])
    assert "Dave Okafor" in minutes and "DEFERRED" in minutes
    joined = [h for h in q.membership_history(services.engine, board["id"])
              if h["change"] == "joined"]
    assert len(joined) == 1 and joined[0]["reason"]
    before = q.members_at(services.engine, board["id"], joined[0]["at"] - timedelta(minutes=1))
    assert joined[0]["person_id"] not in {m["person_id"] for m in before}
    assert len(before) == 4
