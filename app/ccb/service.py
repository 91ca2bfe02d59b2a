"""Change Control Board commands: boards, charters, meetings, proxies, votes, decisions and
out-of-meeting emergency approvals. Each use case loads, checks, calls the aggregates, saves once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from app.ledger import SYSTEM_ACTOR, Ledger
from domain.base import current_context
from domain.ccb.board import Board, charter_with, series_slots
from domain.ccb.freeze import ChangeCalendar
from domain.ccb.meeting import Meeting, check_chair
from domain.changes.change_request import ChangeRequest
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.people.person import Person
from domain.topics import topics_of

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

    from app.reviews.action_items import ActionItemService


class CcbService:
    """Use cases of the Change Control Board (T4.1)."""

    def __init__(self, ledger: Ledger, actions: ActionItemService) -> None:
        self.ledger = ledger
        self.actions = actions
        self._boards: list[str] = []
        self._boards_read_to = 0
        """The log holds no ``Board.Created`` up to this position that is not in ``_boards``."""
        self._boards_lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------------

    def _board_actor(self) -> tuple[str, bool]:
        """Return the acting person's id and whether they may act as an administrator (the
        system actor of the CLI's bootstrap commands may)."""
        actor = self.ledger.writer()
        if actor is None:
            return SYSTEM_ACTOR, True
        return str(actor.id), "admin" in actor.roles

    def _function_of(self, person_id: str, field: str = "person_id") -> str:
        try:
            return self.ledger.load(Person, person_id).function
        except NotFound:
            raise InvalidInput.field(field, f"no person with id {person_id}") from None

    def _meeting_and_board(self, meeting_id: UUID | str) -> tuple[Meeting, Board]:
        meeting = self.ledger.load(Meeting, meeting_id)
        return meeting, self.ledger.load(Board, meeting.board_id)

    def _take_queue(self, meeting: Meeting, board: Board) -> list[Aggregate]:
        """Put the board's queued items (deferrals, ratifications) on this meeting's agenda."""
        changed: list[Aggregate] = []
        taken = list(board.queue)
        for change_id in taken:
            change = self.ledger.load(ChangeRequest, change_id)
            if not change.schedulable or change_id in meeting.items:
                continue
            change.schedule(str(meeting.id), str(board.id))
            meeting.add_item(change_id, change.requester_id, change.category == "emergency",
                             carried_over=board.queue[change_id])
            changed.append(change)
        if taken:
            board.take_queue(meeting_id=str(meeting.id), change_request_ids=taken)
            changed.append(board)
        return changed

    # -- boards and charters ---------------------------------------------------------------------

    def create_board(self, name: str, chair_id: str, members: list[str],
                     charter: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a board (admins only); functions are read from each person now."""
        self.ledger.writer("admin")
        ids = [str(m) for m in members]
        if str(chair_id) not in ids:
            ids.insert(0, str(chair_id))
        functions = {m: self._function_of(m, "members") for m in dict.fromkeys(ids)}
        board = Board.create(name=name, chair_id=str(chair_id), members=functions,
                             charter=charter_with(charter))
        self.ledger.save(board)
        return board_dict(board)

    def amend_charter(self, board_id: UUID | str, changes: dict[str, Any]) -> dict[str, Any]:
        """Amend a board's charter (chair or admin); the reason is required."""
        actor_id, is_admin = self._board_actor()
        board = self.ledger.load(Board, board_id)
        check_chair(board, actor_id, is_admin)
        if not current_context().reason:
            raise InvalidInput.field("reason", "a charter amendment needs a reason")
        board.amend_charter(changes)
        self.ledger.save(board)
        return board_dict(board)

    def _membership_amendment(self, board_id: UUID | str) -> Board:
        self.ledger.writer("admin")
        if not current_context().reason:
            raise InvalidInput.field("reason", "a membership change needs a reason")
        return self.ledger.load(Board, board_id)

    def add_board_member(self, board_id: UUID | str, person_id: str,
                         function: str | None = None) -> dict[str, Any]:
        """A person joins a board (admins, with a reason); their function defaults to the
        person's own. They may attend, vote and hold proxies from now on."""
        board = self._membership_amendment(board_id)
        own = self._function_of(str(person_id))
        board.add_member(str(person_id), function or own)
        self.ledger.save(board)
        return board_dict(board)

    def remove_board_member(self, board_id: UUID | str, person_id: str) -> dict[str, Any]:
        """A member leaves a board (admins, with a reason): from now on they can neither vote
        nor give, hold or use a proxy, and quorum no longer counts them."""
        board = self._membership_amendment(board_id)
        board.remove_member(str(person_id))
        self.ledger.save(board)
        return board_dict(board)

    def change_member_function(self, board_id: UUID | str, person_id: str,
                               function: str) -> dict[str, Any]:
        """A member changes the function they hold on the board (admins, with a reason)."""
        board = self._membership_amendment(board_id)
        board.change_member_function(str(person_id), function)
        self.ledger.save(board)
        return board_dict(board)

    def get_board(self, board_id: UUID | str) -> dict[str, Any]:
        """Return a board's current state (from its events)."""
        return board_dict(self.ledger.load(Board, board_id))

    # -- meetings --------------------------------------------------------------------------------

    def schedule_meeting(self, board_id: UUID | str, scheduled_start: datetime,
                         scheduled_end: datetime | None = None,
                         series_id: str | None = None) -> dict[str, Any]:
        """Schedule an ad-hoc meeting (a member of the board or an admin)."""
        actor_id, is_admin = self._board_actor()
        board = self.ledger.load(Board, board_id)
        if not is_admin:
            board.check_member(actor_id)
        end = scheduled_end or scheduled_start + timedelta(
            minutes=int(board.charter["timebox_minutes"]))
        if end <= scheduled_start:
            raise InvalidInput.field("scheduled_end", "must be after scheduled_start")
        meeting = Meeting(board_id=str(board.id), scheduled_start=scheduled_start,
                          scheduled_end=end, series_id=series_id)
        self.ledger.save(meeting)
        return {"id": str(meeting.id), "board_id": str(board.id), "status": meeting.status}

    def schedule_series(self, board_id: UUID | str, first_day: date,
                        count: int = 6) -> dict[str, Any]:
        """Schedule the next ``count`` meetings from the charter's cadence (chair or admin)."""
        actor_id, is_admin = self._board_actor()
        board = self.ledger.load(Board, board_id)
        check_chair(board, actor_id, is_admin)
        series_id = str(uuid4())
        created = [Meeting(board_id=str(board.id), scheduled_start=start, scheduled_end=end,
                           series_id=series_id)
                   for start, end in series_slots(board.charter, first_day, count)]
        self.ledger.save(*created)
        return {"series_id": series_id, "meetings": [
            {"id": str(m.id), "scheduled_start": m.scheduled_start} for m in created]}

    def open_meeting(self, meeting_id: UUID | str) -> dict[str, Any]:
        """Open a meeting (chair or admin); queued deferrals and ratifications join the agenda."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        meeting.open(board, actor_id, is_admin)
        changed = self._take_queue(meeting, board)
        self.ledger.save(meeting, *changed)
        return {"id": str(meeting.id), "status": meeting.status,
                "agenda": list(meeting.items)}

    def close_meeting(self, meeting_id: UUID | str) -> dict[str, Any]:
        """Close a meeting (chair or admin): undecided items are deferred to the next one."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        deferred, reason = meeting.close(board, actor_id, is_admin)
        changed: list[Aggregate] = []
        for change_id in deferred:
            change = self.ledger.load(ChangeRequest, change_id)
            if change.decidable:
                change.record_decision(str(meeting.id), "deferred")
                board.queue_item(change_request_id=change_id, why=reason)
                changed.append(change)
        self.ledger.save(meeting, board, *changed)
        return {"id": str(meeting.id), "status": meeting.status, "deferred": deferred,
                "deferral_reason": reason}

    def record_attendance(self, meeting_id: UUID | str, person_id: str, mode: str,
                          recording_url: str | None = None) -> dict[str, Any]:
        """Check a member in (themselves, or by the chair or an admin)."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        function = board.members.get(str(person_id)) or self._function_of(str(person_id))
        meeting.record_attendance(board, str(person_id), mode, function, recording_url,
                                  actor_id, is_admin)
        self.ledger.save(meeting)
        return {"person_id": str(person_id), "mode": mode, "function": function}

    def give_proxy(self, meeting_id: UUID | str, grantor_id: str,
                   holder_id: str) -> dict[str, Any]:
        """Give a proxy for one meeting (the grantor, or an admin)."""
        actor_id, is_admin = self._board_actor()
        if not is_admin and actor_id != str(grantor_id):
            raise PermissionDenied("only the grantor or an administrator gives a proxy",
                                   code="not_grantor")
        meeting, board = self._meeting_and_board(meeting_id)
        proxy_id = meeting.give_proxy(board, str(grantor_id), str(holder_id))
        self.ledger.save(meeting)
        return {"id": proxy_id, "grantor_id": str(grantor_id), "holder_id": str(holder_id),
                "status": "active"}

    def revoke_proxy(self, meeting_id: UUID | str, proxy_id: str) -> dict[str, Any]:
        """Revoke an unused proxy (the grantor, or an admin)."""
        actor_id, is_admin = self._board_actor()
        meeting = self.ledger.load(Meeting, meeting_id)
        proxy = meeting.proxies.get(proxy_id)
        if proxy is None:
            raise NotFound(f"no proxy with id {proxy_id}", id=proxy_id)
        if not is_admin and actor_id != proxy["grantor_id"]:
            raise PermissionDenied("only the grantor or an administrator revokes a proxy",
                                   code="not_grantor")
        meeting.revoke_proxy(proxy_id)
        self.ledger.save(meeting)
        return {"id": proxy_id, "status": "revoked"}

    def add_agenda_item(self, meeting_id: UUID | str,
                        change_request_id: UUID | str) -> dict[str, Any]:
        """Put a change request on the agenda (a board member or an admin); it is scheduled."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        if not is_admin:
            board.check_member(actor_id)
        change = self.ledger.load(ChangeRequest, change_request_id)
        meeting.check_not_closed()
        change.schedule(str(meeting.id), str(board.id))
        meeting.add_item(str(change.id), change.requester_id, change.category == "emergency")
        self.ledger.save(meeting, change)
        return {"meeting_id": str(meeting.id), "change_request_id": str(change.id),
                "agenda": list(meeting.items)}

    def cast_vote(self, meeting_id: UUID | str, change_request_id: UUID | str, choice: str,
                  on_behalf_of: str | None = None) -> dict[str, Any]:
        """Vote as the acting member, or as a proxy holder on behalf of the grantor."""
        actor_id, _ = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        change_id = str(change_request_id)
        meeting.cast_vote(board, change_id, actor_id, choice,
                          str(on_behalf_of) if on_behalf_of else None)
        self.ledger.save(meeting)
        return {"change_request_id": change_id, "member_id": str(on_behalf_of or actor_id),
                "cast_by": actor_id, "choice": choice, "tally": meeting.tally(change_id)}

    def decide_item(self, meeting_id: UUID | str,
                    change_request_id: UUID | str) -> dict[str, Any]:
        """Decide an agenda item (chair or admin): quorum now, tally, charter tie-breaker."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        change = self.ledger.load(ChangeRequest, change_request_id)
        meeting.open_item(str(change.id))
        change.check_decidable()
        decision = meeting.decide(board, str(change.id), actor_id, is_admin)
        return self._save_decision(meeting, board, change, decision)

    def cast_deciding_vote(self, meeting_id: UUID | str, change_request_id: UUID | str,
                           choice: str) -> dict[str, Any]:
        """The chair's casting vote on a tie; the item is decided by it."""
        actor_id, _ = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        change = self.ledger.load(ChangeRequest, change_request_id)
        meeting.open_item(str(change.id))
        change.check_decidable()
        decision = meeting.cast_deciding_vote(board, str(change.id), actor_id, choice)
        return self._save_decision(meeting, board, change, decision)

    def _save_decision(self, meeting: Meeting, board: Board, change: ChangeRequest,
                       decision: dict[str, Any]) -> dict[str, Any]:
        if decision["outcome"] == "approved":
            self.check_change_window(change.category, change.planned_start,
                                     change.planned_end, change.systems)
        change.record_decision(str(meeting.id), decision["outcome"])
        if decision["outcome"] == "deferred":
            board.queue_item(change_request_id=str(change.id), why="tie_break_defer")
            self.ledger.save(meeting, change, board)
        else:
            self.ledger.save(meeting, change)
        return decision_dict(decision)

    def raise_meeting_action(self, meeting_id: UUID | str, title: str, owner_id: str,
                             priority: str = "P2", change_request_id: str | None = None,
                             description: str = "") -> dict[str, Any]:
        """Raise an action item in a meeting (a board member or an admin), saved with it."""
        actor_id, is_admin = self._board_actor()
        meeting, board = self._meeting_and_board(meeting_id)
        if not is_admin:
            board.check_member(actor_id)
        item = self.actions.raise_action_item(
            title=title, owner_id=str(owner_id), priority=priority, source_type="meeting",
            source_id=str(meeting.id), description=description, save=False)
        meeting.note_action_item(str(item.id), str(change_request_id) if change_request_id
                                 else None, title, str(owner_id))
        self.ledger.save(meeting, item)
        return {"id": str(item.id), "due": item.due, "status": item.status}

    # -- change calendar -------------------------------------------------------------------------

    def _calendar(self) -> ChangeCalendar | None:
        try:
            return self.ledger.repository.get(ChangeCalendar.create_id())
        except AggregateNotFoundError:
            return None

    def check_change_window(self, category: str, start: datetime, end: datetime,
                            systems: list[str]) -> None:
        """Refuse a non-emergency change whose window overlaps a freeze (409 freeze_window)."""
        calendar = self._calendar()
        if calendar is not None:
            calendar.check_window(category, start, end, list(systems))

    def declare_freeze(self, title: str, start: datetime, end: datetime,
                       systems: list[str] | None = None) -> dict[str, Any]:
        """Declare a freeze (blackout) window (admins); the reason is required."""
        self.ledger.writer("admin")
        if not current_context().reason:
            raise InvalidInput.field("reason", "a freeze window needs a reason")
        calendar = self._calendar() or ChangeCalendar()
        freeze_id = calendar.declare_freeze(title, start, end, list(systems or []))
        self.ledger.save(calendar)
        return {"id": freeze_id, **calendar.freezes[freeze_id]}

    def lift_freeze(self, freeze_id: str) -> dict[str, Any]:
        """Lift a freeze window (admins)."""
        self.ledger.writer("admin")
        calendar = self._calendar()
        if calendar is None or freeze_id not in calendar.freezes:
            raise NotFound(f"no freeze window with id {freeze_id}", id=freeze_id)
        calendar.lift_freeze(freeze_id)
        self.ledger.save(calendar)
        return {"id": freeze_id, "status": "lifted"}

    # -- emergency changes -----------------------------------------------------------------------

    def board_ids(self) -> list[str]:
        """Every board's id, from the log (an emergency change's board is checked against it).

        Every change request asks, so the log is read once: later calls read only what was
        appended since (up to the head read first — the log is append-only, and an id up to the
        head is committed, see eventsourcing's table lock)."""
        topics = list(topics_of(Board.Created))
        with self._boards_lock:
            head = self.ledger.recorder.max_notification_id() or 0
            start = self._boards_read_to + 1
            while start <= head and (batch := self.ledger.recorder.select_notifications(
                    start=start, limit=500, stop=head, topics=topics)):
                self._boards += [str(n.originator_id) for n in batch]
                start = batch[-1].id + 1
            self._boards_read_to = max(self._boards_read_to, head)
            return list(self._boards)

    def approve_emergency_change(self, change_id: UUID | str) -> dict[str, Any]:
        """Approve an emergency change outside a meeting (board members; the chair or delegate
        plus another function approve it; ratification is queued for the next meeting)."""
        actor_id, _ = self._board_actor()
        change = self.ledger.load(ChangeRequest, change_id)
        change.check_emergency_approver(actor_id)
        board = self.ledger.load(Board, change.board_id)
        board.check_member(actor_id)
        capacity = ("chair" if actor_id == board.chair_id else
                    "delegate" if board.is_chair_or_delegate(actor_id) else "member")
        function = board.members[actor_id]
        approved = change.approve_emergency(actor_id, function, capacity)
        if approved:
            board.queue_item(change_request_id=str(change.id), why="ratification")
            self.ledger.save(change, board)
        else:
            self.ledger.save(change)
        return {"id": str(change.id), "status": change.status,
                "approvals": [dict(a) for a in change.approvals],
                "ratification": change.ratification}


def board_dict(board: Board) -> dict[str, Any]:
    """A board as plain data."""
    return {"id": str(board.id), "name": board.name, "chair_id": board.chair_id,
            "members": [{"person_id": p, "function": f} for p, f in board.members.items()],
            "charter": dict(board.charter), "version": board.version}


def decision_dict(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision in the API's shape."""
    quorum = decision["quorum"]
    result = {"outcome": decision["outcome"], "tally": dict(decision["tally"]),
              "quorum": {"met": quorum["met"], "present": list(quorum["present"]),
                         "functions": list(quorum["functions"]),
                         "proxies": [dict(p) for p in quorum["proxies"]]}}
    if decision.get("tie_break"):
        result["tie_break"] = decision["tie_break"]
    if decision.get("casting_vote"):
        result["casting_vote"] = decision["casting_vote"]
    return result
