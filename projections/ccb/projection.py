"""Read models of the Change Control Board: boards, charter history, meetings, decision log.

Pure functions of the events: handlers read only the tables this projection writes. Each
meeting event writes a row of its own (an attendance, a proxy, an agenda item, a vote, an
action) or updates one by key; the meeting's state is read from those rows once per batch
(``projections.ccb.meeting_state``) and kept in step in memory for the batch's later events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    select,
    update,
)

from domain.ccb.board import Board
from domain.ccb.freeze import ChangeCalendar
from domain.ccb.meeting import (
    Meeting,
    deferral_evidence,
    lapsing_proxies,
    quorum_snapshot,
    tally_of,
)
from domain.changes.change_request import (
    AWAITING_RATIFICATION,
    ChangeRequest,
    ratification_after,
)
from projections.base import Projection, handles
from projections.ccb.meeting_state import (
    empty_state,
    item_key,
    new_item,
    proxy_key,
    states_of,
)

if TYPE_CHECKING:
    from projections.base import Writer
from projections.ccb.tables import (
    board_charters,
    board_memberships,
    boards,
    decisions,
    freeze_windows,
    meeting_actions,
    meeting_attendance,
    meeting_items,
    meeting_proxies,
    meeting_votes,
    meetings,
)


class CcbProjection(Projection):
    """Keeps boards, charters, meetings and the decision log in step with their events."""

    name = "ccb"
    tables = (boards, board_charters, board_memberships, meetings, meeting_attendance,
              meeting_proxies, meeting_items, meeting_votes, meeting_actions, decisions,
              freeze_windows)

    # -- boards ----------------------------------------------------------------------------------

    @handles(Board.Created)
    def board_created(self, w: Writer, e: Any) -> None:
        board_id = str(e.originator_id)
        w.insert(boards, id=board_id, name=e.name, chair_id=e.chair_id,
                 members=[{"person_id": p, "function": f} for p, f in e.members.items()],
                 charter=dict(e.charter), queue={}, created_at=e.timestamp,
                 updated_at=e.timestamp, version=e.originator_version)
        w.insert(board_charters, board_id=board_id, version=e.originator_version,
                 effective_at=e.timestamp, charter=dict(e.charter), changes={},
                 actor_id=e.actor_id, reason=e.reason)
        for person_id, function in e.members.items():
            self.membership_row(w, e, person_id, "created", function)
        w.cache.setdefault(boards, {})[board_id] = {
            "members": [{"person_id": p, "function": f} for p, f in e.members.items()],
            "queue": {}}

    @handles(Board.MemberJoined, Board.MemberLeft, Board.MemberFunctionChanged)
    def membership_changed(self, w: Writer, e: Any) -> None:
        """One history row, and the board row's current members (a small list)."""
        change = {"MemberJoined": "joined", "MemberLeft": "left",
                  "MemberFunctionChanged": "function_changed"}[type(e).__name__]
        self.membership_row(w, e, e.person_id, change, e.function,
                            getattr(e, "previous", None))
        current = self.board(w, e)["members"]
        mine = {"person_id": e.person_id, "function": e.function}
        members = [mine if m["person_id"] == e.person_id else m for m in current
                   if change != "left" or m["person_id"] != e.person_id]
        if change == "joined":
            members.append(mine)
        self.touch_board(w, e, members=members)

    @staticmethod
    def membership_row(w: Writer, e: Any, person_id: str, change: str, function: str,
                       previous: str | None = None) -> None:
        """Record one member's change in the membership history."""
        w.insert(board_memberships, board_id=str(e.originator_id),
                 version=e.originator_version, person_id=person_id, change=change,
                 function=function, previous_function=previous, at=e.timestamp,
                 actor_id=e.actor_id, reason=e.reason)

    @handles(Board.CharterAmended)
    def charter_amended(self, w: Writer, e: Any) -> None:
        board_id = str(e.originator_id)
        self.touch_board(w, e, charter=dict(e.charter))
        w.insert(board_charters, board_id=board_id, version=e.originator_version,
                 effective_at=e.timestamp, charter=dict(e.charter), changes=dict(e.changes),
                 actor_id=e.actor_id, reason=e.reason)

    @handles(Board.ItemQueued, Board.QueueTaken)
    def queue_changed(self, w: Writer, e: Any) -> None:
        queue = dict(self.board(w, e)["queue"])
        if isinstance(e, Board.ItemQueued):
            queue[e.change_request_id] = e.why
        else:
            for change_id in e.change_request_ids:
                queue.pop(change_id, None)
        self.touch_board(w, e, queue=queue)

    @staticmethod
    def board(w: Writer, e: Any) -> dict[str, Any]:
        """The board's members and queue as this projection last left them: read once per
        batch, then kept in step with the updates the batch queues."""
        cached = w.cache.setdefault(boards, {})
        board_id = str(e.originator_id)
        row = cached.get(board_id)
        if row is None:
            found = w.execute(select(boards.c.members, boards.c.queue).where(
                boards.c.id == board_id)).one()
            row = cached[board_id] = {"members": found.members, "queue": found.queue}
        return row

    @classmethod
    def touch_board(cls, w: Writer, e: Any, **values: Any) -> None:
        """Update a board row with the event's time and version (queued: one executemany per
        batch and set of columns, sent before any statement that reads boards)."""
        board_id = str(e.originator_id)
        row = cls.board(w, e)
        for column in ("members", "queue"):
            if column in values:
                row[column] = values[column]
        w.update(boards, board_id, updated_at=e.timestamp, version=e.originator_version,
                 **values)

    # -- meetings --------------------------------------------------------------------------------

    @handles(Meeting.Scheduled)
    def meeting_scheduled(self, w: Writer, e: Any) -> None:
        w.insert(meetings, id=str(e.originator_id), board_id=e.board_id,
                 series_id=e.series_id, scheduled_start=e.scheduled_start,
                 scheduled_end=e.scheduled_end, status="scheduled", opened_at=None,
                 closed_at=None, deferral_reason=None, updated_at=e.timestamp,
                 version=e.originator_version)
        w.cache.setdefault(meetings, {})[str(e.originator_id)] = {
            "board_id": e.board_id, "state": empty_state()}

    @handles(Meeting.Opened)
    def meeting_opened(self, w: Writer, e: Any) -> None:
        self.save_meeting(w, e, status="open", opened_at=e.timestamp)

    @handles(Meeting.Closed)
    def meeting_closed(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        row = self.meeting(w, e)
        state = row["state"]
        quorum, tallies, evidence = (
            (e.quorum, e.tallies, e.evidence_versions) if e.quorum is not None
            else self.facts_of_an_old_close(w, e, row["board_id"], state))
        for change_id in e.deferred:
            item = find_item(state, change_id)
            w.insert(decisions, id=f"{meeting_id}:{change_id}", kind="meeting",
                     board_id=row["board_id"], meeting_id=meeting_id,
                     change_request_id=change_id, outcome="deferred", decided_at=e.timestamp, decided_by=e.actor_id,
                     tally=dict(tallies[change_id]), quorum=quorum, tie_break=None,
                     casting_vote=None, emergency=bool(item["emergency"]), ratification=None,
                     ratified_at=None, votes=counted_votes(item), reason=e.deferral_reason,
                     evidence={"aggregate": "Meeting", "meeting_id": meeting_id,
                               "decision_version": e.originator_version,
                               "event_versions": list(evidence[change_id])})
        state["deferral_reason"] = e.deferral_reason if e.deferred else None
        for item in state["items"]:
            if item["change_request_id"] in e.deferred:
                item["decision"] = {"outcome": "deferred", "reason": e.deferral_reason,
                                    "version": e.originator_version,
                                    "at": e.timestamp.isoformat()}
                w.update(meeting_items, item_key(meeting_id, item["change_request_id"]),
                         decision=item["decision"])
        self.save_meeting(w, e, status="closed", closed_at=e.timestamp,
                          deferral_reason=state["deferral_reason"])
        # Only an emergency change has an emergency decision (the domain approves no other out
        # of meeting; an item is flagged when the change is): no statement for the others.
        for change_id in e.deferred:
            if find_item(state, change_id)["emergency"]:
                self.ratify(w, change_id, ratification=ratification_after("deferred"))

    @staticmethod
    def facts_of_an_old_close(w: Writer, e: Any, board_id: str, state: dict[str, Any],
                              ) -> tuple[dict[str, Any] | None, dict[str, Any],
                                         dict[str, list[int]]]:
        """Quorum, tallies and evidence of a close stored by release 0.1, which did not record
        them: the domain's functions applied to the meeting as this read model holds it."""
        board = w.execute(select(boards.c.members, boards.c.charter).where(
            boards.c.id == board_id)).one_or_none()
        quorum = quorum_snapshot(
            {a["person_id"]: a["function"] for a in state["attendance"]}, state["proxies"],
            {m["person_id"]: m["function"] for m in board.members},
            board.charter) if board else None
        present = set(quorum["present"]) if quorum else set()
        tallies, evidence = {}, {}
        for change_id in e.deferred:
            item = find_item(state, change_id)
            tallies[change_id] = tally_of(item["votes"].values())
            evidence[change_id] = deferral_evidence(
                [v["version"] for v in item["votes"].values()],
                [a["version"] for a in state["attendance"] if a["person_id"] in present],
                item["version"], e.originator_version)
        return quorum, tallies, evidence

    @handles(Meeting.AttendanceRecorded)
    def attended(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        state = self.load_state(w, e)
        at = e.timestamp.isoformat()
        state["attendance"].append({
            "person_id": e.person_id, "mode": e.mode, "function": e.function,
            "recording_url": e.recording_url, "recorded_by": e.actor_id,
            "at": at, "version": e.originator_version})
        w.insert(meeting_attendance, meeting_id=meeting_id, version=e.originator_version,
                 person_id=e.person_id, mode=e.mode, function=e.function,
                 recording_url=e.recording_url, recorded_by=e.actor_id, at=at)
        lapsed = (e.lapsed_proxies if e.lapsed_proxies is not None
                  else lapsing_proxies(state["proxies"], e.person_id))
        self.proxy_status(w, meeting_id, state, set(lapsed), "lapsed")
        self.save_meeting(w, e)

    @staticmethod
    def proxy_status(w: Writer, meeting_id: str, state: dict[str, Any], ids: set[str],
                     status: str) -> None:
        """Give the meeting's proxies with these ids a new status."""
        for proxy in state["proxies"]:
            if proxy["id"] in ids:
                proxy["status"] = status
                w.update(meeting_proxies, proxy_key(meeting_id, proxy["id"]), status=status)

    @handles(Meeting.ProxyGiven)
    def proxy_given(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        at = e.timestamp.isoformat()
        self.load_state(w, e)["proxies"].append({
            "id": e.proxy_id, "grantor_id": e.grantor_id, "holder_id": e.holder_id,
            "status": "active", "given_by": e.actor_id, "at": at,
            "version": e.originator_version})
        w.insert(meeting_proxies, id=proxy_key(meeting_id, e.proxy_id), meeting_id=meeting_id,
                 proxy_id=e.proxy_id, grantor_id=e.grantor_id, holder_id=e.holder_id,
                 status="active", given_by=e.actor_id, at=at, version=e.originator_version)
        self.save_meeting(w, e)

    @handles(Meeting.ProxyRevoked)
    def proxy_revoked(self, w: Writer, e: Any) -> None:
        self.proxy_status(w, str(e.originator_id), self.load_state(w, e), {e.proxy_id},
                          "revoked")
        self.save_meeting(w, e)

    @handles(Meeting.ItemAdded)
    def item_added(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        self.load_state(w, e)["items"].append(new_item(e))
        w.insert(meeting_items, id=item_key(meeting_id, e.change_request_id),
                 meeting_id=meeting_id, change_request_id=e.change_request_id,
                 requester_id=e.requester_id, emergency=e.emergency,
                 carried_over=e.carried_over, casting_vote=None, decision=None,
                 version=e.originator_version)
        self.save_meeting(w, e)

    @handles(Meeting.VoteCast)
    def vote_cast(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        state = self.load_state(w, e)
        item = find_item(state, e.change_request_id)
        at = e.timestamp.isoformat()
        vote = {"member_id": e.member_id, "choice": e.choice, "cast_by": e.actor_id,
                "proxy_id": e.proxy_id, "at": at, "version": e.originator_version}
        item["votes"][e.member_id] = vote
        item["vote_events"].append(vote)
        w.insert(meeting_votes, meeting_id=meeting_id, version=e.originator_version,
                 change_request_id=e.change_request_id, member_id=e.member_id,
                 choice=e.choice, cast_by=e.actor_id, proxy_id=e.proxy_id, at=at)
        if e.proxy_id:
            self.proxy_status(w, meeting_id, state, {e.proxy_id}, "used")
        self.save_meeting(w, e)

    @handles(Meeting.CastingVoteCast)
    def casting_vote_cast(self, w: Writer, e: Any) -> None:
        casting = {"choice": e.choice, "cast_by": e.actor_id, "version": e.originator_version}
        find_item(self.load_state(w, e), e.change_request_id)["casting_vote"] = casting
        w.update(meeting_items, item_key(str(e.originator_id), e.change_request_id),
                 casting_vote=casting)
        self.save_meeting(w, e)

    @handles(Meeting.ActionItemNoted)
    def action_noted(self, w: Writer, e: Any) -> None:
        self.load_state(w, e)["actions"].append({
            "action_item_id": e.action_item_id, "change_request_id": e.change_request_id,
            "title": e.title, "owner_id": e.owner_id, "version": e.originator_version})
        w.insert(meeting_actions, meeting_id=str(e.originator_id),
                 version=e.originator_version, action_item_id=e.action_item_id,
                 change_request_id=e.change_request_id, title=e.title, owner_id=e.owner_id)
        self.save_meeting(w, e)

    @handles(Meeting.ItemDecided)
    def item_decided(self, w: Writer, e: Any) -> None:
        meeting_id = str(e.originator_id)
        row = self.meeting(w, e)
        state = row["state"]
        decision = find_item(state, e.change_request_id)["decision"] = {
            "outcome": e.outcome, "tally": dict(e.tally), "quorum": dict(e.quorum),
            "tie_break": e.tie_break, "casting_vote": e.casting_vote,
            "decided_by": e.actor_id, "at": e.timestamp.isoformat(),
            "version": e.originator_version}
        w.update(meeting_items, item_key(meeting_id, e.change_request_id), decision=decision)
        self.save_meeting(w, e)
        w.insert(decisions, id=f"{meeting_id}:{e.change_request_id}", kind="meeting",
                 board_id=row["board_id"], meeting_id=meeting_id,
                 change_request_id=e.change_request_id, outcome=e.outcome,
                 decided_at=e.timestamp, decided_by=e.actor_id, tally=dict(e.tally),
                 quorum=dict(e.quorum), tie_break=e.tie_break, casting_vote=e.casting_vote,
                 emergency=bool(e.emergency), ratification=None, ratified_at=None,
                 votes=list(e.votes),
                 reason="tie_break_defer" if e.outcome == "deferred" else None,
                 evidence={"aggregate": "Meeting", "meeting_id": meeting_id,
                           "decision_version": e.originator_version,
                           "event_versions": list(e.evidence_versions)})
        if e.emergency:
            self.ratify(w, e.change_request_id, ratification=ratification_after(e.outcome),
                        ratified_at=e.timestamp)

    @staticmethod
    def ratify(w: Writer, change_id: str, **values: Any) -> None:
        """Set ``values`` on the change's emergency decision if it still awaits ratification.
        Known in the batch (approved or updated in it): a queued update by key, no statement;
        otherwise one ``UPDATE`` (which first sends the decision rows queued so far)."""
        known = w.cache.setdefault("ccb.ratification", {})
        if change_id not in known:
            w.execute(update(decisions).where(
                decisions.c.change_request_id == change_id,
                decisions.c.kind == "emergency",
                decisions.c.ratification.in_(AWAITING_RATIFICATION),
            ).values(**values))
        elif known[change_id] in AWAITING_RATIFICATION:
            known[change_id] = values["ratification"]
            w.update(decisions, f"emergency:{change_id}", **values)

    @handles(ChangeRequest.EmergencyApproved)
    def emergency_approved(self, w: Writer, e: Any) -> None:
        change_id = str(e.originator_id)
        approvals = [dict(a) for a in e.approvals]
        votes = [{"member_id": a["approver_id"], "choice": "approve", "capacity": a["capacity"],
                  "function": a["function"], "version": a["version"]} for a in approvals]
        w.insert(decisions, id=f"emergency:{change_id}", kind="emergency",
                 board_id=e.board_id, meeting_id=None, change_request_id=change_id,
                 outcome="approved", decided_at=e.timestamp, decided_by=e.actor_id,
                 tally=tally_of(votes), quorum=None, tie_break=None, casting_vote=None,
                 emergency=True, ratification="pending", ratified_at=None, reason=None,
                 votes=votes,
                 evidence={"aggregate": "ChangeRequest", "change_request_id": change_id,
                           "decision_version": e.originator_version,
                           "event_versions": sorted([a["version"] for a in approvals] +
                                                    [e.originator_version])})
        w.cache.setdefault("ccb.ratification", {})[change_id] = "pending"

    # -- change calendar -------------------------------------------------------------------------

    @handles(ChangeCalendar.FreezeDeclared)
    def freeze_declared(self, w: Writer, e: Any) -> None:
        w.insert(freeze_windows, id=e.freeze_id, title=e.title, start=e.start, end=e.end,
                 systems=list(e.systems), reason=e.reason, declared_by=e.actor_id,
                 declared_at=e.timestamp, lifted_at=None, lifted_by=None)

    @handles(ChangeCalendar.FreezeLifted)
    def freeze_lifted(self, w: Writer, e: Any) -> None:
        w.execute(update(freeze_windows).where(freeze_windows.c.id == e.freeze_id).values(
            lifted_at=e.timestamp, lifted_by=e.actor_id))

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def meeting(w: Writer, e: Any) -> dict[str, Any]:
        """The meeting's board id and state as this projection last left them, read once per
        batch (later events of the batch change the same state in memory, as their rows)."""
        cached = w.cache.setdefault(meetings, {})
        meeting_id = str(e.originator_id)
        row = cached.get(meeting_id)
        if row is None:
            found = w.execute(select(meetings.c.board_id, meetings.c.deferral_reason).where(
                meetings.c.id == meeting_id)).one()
            # Nothing of this meeting is queued: every event of the batch that touched it
            # came through here and found it cached.
            state = states_of(w.conn, {meeting_id: found.deferral_reason})[meeting_id]
            row = cached[meeting_id] = {"board_id": found.board_id, "state": state}
        return row

    @classmethod
    def load_state(cls, w: Writer, e: Any) -> dict[str, Any]:
        """The meeting's state, to change in memory as the event's rows are written."""
        return cls.meeting(w, e)["state"]

    @staticmethod
    def save_meeting(w: Writer, e: Any, **values: Any) -> None:
        """Record on the meeting's row the event's time and version (and ``values``): one
        update per meeting per batch."""
        w.update(meetings, str(e.originator_id), updated_at=e.timestamp,
                 version=e.originator_version, **values)


def find_item(state: dict[str, Any], change_request_id: str) -> dict[str, Any]:
    """The agenda item of a change request in a meeting's state."""
    return next(i for i in state["items"] if i["change_request_id"] == change_request_id)


def counted_votes(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's counted votes (the last of each member) in the decision log's shape."""
    return [{"member_id": m, "choice": v["choice"], "proxy_id": v["proxy_id"],
             "version": v["version"]} for m, v in item["votes"].items()]
