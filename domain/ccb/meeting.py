"""Board meetings: attendance, proxies (never chained), agenda, votes, quorum and decisions.

A meeting consults its board (members, chair, charter in force) at command time; every rule is a
``check_*`` guard that raises before any event is recorded. The facts the read models need are
computed here and recorded in the events (the proxies an arrival makes lapse; the quorum, tallies
and evidence of the items deferred at close). The pure functions after the class
(:func:`quorum_snapshot`, :func:`tally_of`, :func:`lapsing_proxies`, :func:`deferral_evidence`,
:func:`casting_vote_needed`) are those rules, shared with the projection for events stored by
release 0.1, which did not record them, and with the pages that show a meeting in session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate, command_context, new_id, now
from domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from domain.ccb.board import Board

MODES = ("in_person", "remote")
CHOICES = ("approve", "reject", "abstain")
OUTCOMES = ("approved", "rejected", "deferred")
LIVE_PROXY = ("active", "used")
"""Proxy states that can still carry a vote; ``lapsed`` and ``revoked`` cannot."""


class Meeting(LedgerAggregate):
    """One meeting of a board, from scheduling to close."""

    @event("Scheduled")
    def __init__(self, board_id: str, scheduled_start: datetime, scheduled_end: datetime,
                 series_id: str | None = None) -> None:
        self.board_id = board_id
        self.scheduled_start = scheduled_start
        self.scheduled_end = scheduled_end
        self.series_id = series_id
        self.status = "scheduled"
        self.opened_at: datetime | None = None
        self.attendance: dict[str, dict[str, Any]] = {}
        self.proxies: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self, board: Board, actor_id: str | None, is_admin: bool) -> None:
        """Open the meeting (chair or admin)."""
        check_chair(board, actor_id, is_admin)
        if self.status != "scheduled":
            raise MeetingNotScheduled(f"the meeting is already {self.status}",
                                      status=self.status)
        self._open(opened_at=now())

    @event("Opened")
    def _open(self, opened_at: datetime) -> None:
        self.status = "open"
        self.opened_at = opened_at

    def close(self, board: Board, actor_id: str | None, is_admin: bool) -> tuple[list[str], str]:
        """Close the meeting; undecided items are deferred. Returns them and the reason code."""
        check_chair(board, actor_id, is_admin)
        self.check_open()
        undecided = [c for c, item in self.items.items() if item["decision"] is None]
        reason = "timebox" if self.timebox_over(board) else "not_decided_before_close"
        quorum = self.quorum(board)
        self._close(deferred=undecided, deferral_reason=reason, quorum=quorum,
                    tallies={c: self.tally(c) for c in undecided},
                    evidence_versions={c: self.deferral_evidence(c, quorum, self.version + 1)
                                       for c in undecided})
        return undecided, reason

    def deferral_evidence(self, change_request_id: str, quorum: dict[str, Any],
                          close_version: int) -> list[int]:
        """The events an item deferred at close rests on (see :func:`deferral_evidence`)."""
        item = self.items[change_request_id]
        return deferral_evidence([v["version"] for v in item["votes"].values()],
                                 [self.attendance[p]["version"] for p in quorum["present"]],
                                 item["version"], close_version)

    def timebox_over(self, board: Board) -> bool:
        """Whether the charter's time-box has run out since the meeting opened."""
        return timebox_ran_out(self.opened_at, board.charter, now())

    class Closed(LedgerAggregate.Event):
        """The meeting closed; the items still undecided are deferred to the next meeting.

        ``quorum`` (as it stood at close), ``tallies`` and ``evidence_versions`` (per deferred
        item) are the facts of the deferrals; events stored by release 0.1 lack them (None).
        """

        deferred: list[str]
        deferral_reason: str
        quorum: dict[str, Any] | None = None
        tallies: dict[str, dict[str, int]] | None = None
        evidence_versions: dict[str, list[int]] | None = None

    @event(Closed)
    def _close(self, deferred: list[str], deferral_reason: str,
               quorum: dict[str, Any] | None = None,
               tallies: dict[str, dict[str, int]] | None = None,
               evidence_versions: dict[str, list[int]] | None = None) -> None:
        self.status = "closed"
        for change_id in deferred:
            self.items[change_id]["decision"] = {"outcome": "deferred",
                                                 "reason": deferral_reason}

    def check_open(self) -> None:
        """Refuse a command that needs the meeting to be in session."""
        if self.status != "open":
            raise MeetingNotOpen(f"the meeting is {self.status}, not open", status=self.status)

    def check_not_closed(self) -> None:
        """Refuse a command on a closed meeting."""
        if self.status == "closed":
            raise MeetingClosed("the meeting is closed", status=self.status)

    # -- attendance ------------------------------------------------------------------------------

    def record_attendance(self, board: Board, person_id: str, mode: str, function: str,
                          recording_url: str | None, actor_id: str | None,
                          is_admin: bool) -> None:
        """Record that a member attends (themselves, or by the chair or an admin)."""
        if actor_id != person_id:
            check_chair(board, actor_id, is_admin)
        self.check_open()
        board.check_member(person_id)
        if person_id in self.attendance:
            raise AlreadyPresent("this person's attendance is already recorded",
                                 person_id=person_id)
        self._attend(person_id=person_id, mode=mode, function=function,
                     recording_url=recording_url,
                     lapsed_proxies=lapsing_proxies(self.proxies.values(), person_id))

    class AttendanceRecorded(LedgerAggregate.Event):
        """A member checked in; ``lapsed_proxies`` are the proxies they had given, which lapse
        (they vote in person). Events stored by release 0.1 lack the list (None)."""

        person_id: str
        mode: str
        function: str
        recording_url: str | None
        lapsed_proxies: list[str] | None = None

    @event(AttendanceRecorded)
    def _attend(self, person_id: str, mode: str, function: str, recording_url: str | None,
                lapsed_proxies: list[str] | None = None) -> None:
        if lapsed_proxies is None:  # recorded by release 0.1: the same rule, applied now
            lapsed_proxies = lapsing_proxies(self.proxies.values(), person_id)
        self.attendance[person_id] = {"mode": mode, "function": function,
                                      "recording_url": recording_url,
                                      "version": self.version + 1}
        for proxy_id in lapsed_proxies:
            self.proxies[proxy_id]["status"] = "lapsed"

    def is_present(self, person_id: str) -> bool:
        """Whether ``person_id`` has checked in."""
        return person_id in self.attendance

    # -- proxies ---------------------------------------------------------------------------------

    def give_proxy(self, board: Board, grantor_id: str, holder_id: str) -> str:
        """Give the grantor's vote for this meeting to another member; returns the proxy id."""
        self.check_not_closed()
        board.check_member(grantor_id)
        board.check_member(holder_id)
        if grantor_id == holder_id:
            raise ProxyToSelf("a member cannot give a proxy to themselves",
                              grantor_id=grantor_id)
        if self.is_present(grantor_id):
            raise GrantorPresent("the grantor is present and votes in person",
                                 grantor_id=grantor_id)
        self.check_no_proxy_given(grantor_id)
        self.check_no_chain(grantor_id, holder_id)
        proxy_id = str(new_id())
        self._give_proxy(proxy_id=proxy_id, grantor_id=grantor_id, holder_id=holder_id)
        return proxy_id

    def standing_proxies(self) -> list[dict[str, Any]]:
        """Proxies not revoked (active, used or lapsed): the ones that rule out chains."""
        return [p for p in self.proxies.values() if p["status"] != "revoked"]

    def check_no_proxy_given(self, grantor_id: str) -> None:
        """One proxy per grantor per meeting."""
        if any(p["grantor_id"] == grantor_id for p in self.standing_proxies()):
            raise ProxyAlreadyGiven("this member already gave a proxy for this meeting",
                                    grantor_id=grantor_id)

    def check_no_chain(self, grantor_id: str, holder_id: str) -> None:
        """Nobody who gave a proxy may hold one; nobody who holds one may give one."""
        standing = self.standing_proxies()
        if any(p["holder_id"] == grantor_id for p in standing):
            raise ProxyChain("the grantor holds a proxy, so cannot give one",
                             grantor_id=grantor_id, holder_id=holder_id)
        if any(p["grantor_id"] == holder_id for p in standing):
            raise ProxyChain("the holder gave a proxy, so cannot hold one",
                             grantor_id=grantor_id, holder_id=holder_id)

    @event("ProxyGiven")
    def _give_proxy(self, proxy_id: str, grantor_id: str, holder_id: str) -> None:
        self.proxies[proxy_id] = {"id": proxy_id, "grantor_id": grantor_id,
                                  "holder_id": holder_id, "status": "active"}

    def revoke_proxy(self, proxy_id: str) -> dict[str, Any]:
        """Revoke a proxy that has not been used; returns it."""
        self.check_not_closed()
        proxy = self.proxies.get(proxy_id)
        if proxy is None:
            raise NoSuchProxy("no such proxy in this meeting", proxy_id=proxy_id)
        if proxy["status"] == "used":
            raise ProxyUsed("this proxy has been used and can no longer be revoked",
                            proxy_id=proxy_id)
        if proxy["status"] != "active":
            raise ProxyNotActive(f"this proxy is {proxy['status']}", proxy_id=proxy_id,
                                 status=proxy["status"])
        self._revoke_proxy(proxy_id=proxy_id)
        return dict(proxy)

    @event("ProxyRevoked")
    def _revoke_proxy(self, proxy_id: str) -> None:
        self.proxies[proxy_id]["status"] = "revoked"

    # -- agenda ----------------------------------------------------------------------------------

    def add_item(self, change_request_id: str, requester_id: str, emergency: bool,
                 carried_over: str | None = None) -> None:
        """Put a change request of the board on the agenda."""
        self.check_not_closed()
        if change_request_id in self.items:
            raise AlreadyOnAgenda("the change request is already on the agenda",
                                  change_request_id=change_request_id)
        self._add_item(change_request_id=change_request_id, requester_id=requester_id,
                       emergency=emergency, carried_over=carried_over)

    @event("ItemAdded")
    def _add_item(self, change_request_id: str, requester_id: str, emergency: bool,
                  carried_over: str | None) -> None:
        self.items[change_request_id] = {"requester_id": requester_id, "emergency": emergency,
                                         "votes": {}, "decision": None, "casting_vote": None,
                                         "version": self.version + 1}

    def item(self, change_request_id: str) -> dict[str, Any]:
        """Return an agenda item or refuse one that is not on the agenda."""
        item = self.items.get(change_request_id)
        if item is None:
            raise NotOnAgenda("the change request is not on this meeting's agenda",
                              change_request_id=change_request_id)
        return item

    def open_item(self, change_request_id: str) -> dict[str, Any]:
        """Return an undecided item of the meeting in session."""
        self.check_open()
        item = self.item(change_request_id)
        if item["decision"] is not None:
            raise AlreadyDecided("the item is already decided",
                                 change_request_id=change_request_id,
                                 outcome=item["decision"]["outcome"])
        return item

    # -- votes -----------------------------------------------------------------------------------

    def cast_vote(self, board: Board, change_request_id: str, voter_id: str, choice: str,
                  on_behalf_of: str | None = None) -> None:
        """Record the voter's own vote, or a proxy vote for ``on_behalf_of``."""
        item = self.open_item(change_request_id)
        board.check_member(voter_id)
        check_conflict(board, item, voter_id)
        if on_behalf_of in (None, voter_id):
            if not self.is_present(voter_id):
                raise NotPresent("only members present may vote", person_id=voter_id)
            self._cast_vote(change_request_id=change_request_id, member_id=voter_id,
                            choice=choice, proxy_id=None)
            return
        board.check_member(on_behalf_of)
        check_conflict(board, item, on_behalf_of)
        proxy = self.usable_proxy(on_behalf_of, voter_id)
        with command_context(on_behalf_of=on_behalf_of):
            self._cast_vote(change_request_id=change_request_id, member_id=on_behalf_of,
                            choice=choice, proxy_id=proxy["id"])

    def usable_proxy(self, grantor_id: str, holder_id: str) -> dict[str, Any]:
        """The proxy from grantor to holder, if it may carry a vote right now."""
        proxy = next((p for p in self.standing_proxies() if p["grantor_id"] == grantor_id
                      and p["holder_id"] == holder_id), None)
        if proxy is None:
            raise NoProxy("the voter holds no proxy from this member",
                          grantor_id=grantor_id, holder_id=holder_id)
        if self.is_present(grantor_id) or proxy["status"] == "lapsed":
            raise GrantorPresent("the grantor is present, so the proxy has lapsed",
                                 grantor_id=grantor_id)
        if not self.is_present(holder_id):
            raise ProxyHolderAbsent("the proxy holder must be present to vote",
                                    holder_id=holder_id)
        return proxy

    @event("VoteCast")
    def _cast_vote(self, change_request_id: str, member_id: str, choice: str,
                   proxy_id: str | None) -> None:
        self.items[change_request_id]["votes"][member_id] = {
            "choice": choice, "proxy_id": proxy_id, "version": self.version + 1}
        if proxy_id is not None:
            self.proxies[proxy_id]["status"] = "used"

    # -- quorum and decisions --------------------------------------------------------------------

    def quorum(self, board: Board) -> dict[str, Any]:
        """The quorum snapshot now: who is present, their functions, proxies held, met or not."""
        return quorum_snapshot({p: a["function"] for p, a in self.attendance.items()},
                               self.proxies.values(), board.members, board.charter)

    def tally(self, change_request_id: str) -> dict[str, int]:
        """Count the item's votes (one per member)."""
        return tally_of(self.items[change_request_id]["votes"].values())

    def decide(self, board: Board, change_request_id: str, actor_id: str | None,
               is_admin: bool) -> dict[str, Any]:
        """Decide an item from its votes and the charter's tie-breaker; returns the decision."""
        check_chair(board, actor_id, is_admin)
        self.open_item(change_request_id)
        quorum = self.check_quorum(board)
        tally = self.tally(change_request_id)
        if casting_vote_needed(board.charter, tally):
            raise AwaitingCastingVote("the votes are tied: the chair must cast a deciding vote",
                                      change_request_id=change_request_id, tally=tally)
        outcome, tie_break = outcome_of(tally), None
        if outcome is None:
            tie_break = board.charter["tie_breaker"]
            outcome = "rejected" if tie_break == "status_quo" else "deferred"
        return self._record_decision(change_request_id, outcome, tally, quorum, tie_break)

    def cast_deciding_vote(self, board: Board, change_request_id: str, actor_id: str | None,
                           choice: str) -> dict[str, Any]:
        """The chair breaks a tie; the item is decided by that vote. Returns the decision."""
        if actor_id != board.chair_id:
            raise NotChair("only the chair casts the deciding vote", chair_id=board.chair_id)
        self.open_item(change_request_id)
        tally = self.tally(change_request_id)
        if not casting_vote_needed(board.charter, tally):
            raise CastingVoteNotNeeded("a casting vote is only taken on a tie when the charter "
                                       "gives the chair the deciding vote", tally=tally,
                                       tie_breaker=board.charter["tie_breaker"])
        quorum = self.check_quorum(board)
        self._cast_deciding_vote(change_request_id=change_request_id, choice=choice)
        outcome = "approved" if choice == "approve" else "rejected"
        return self._record_decision(change_request_id, outcome, tally, quorum, "chair")

    @event("CastingVoteCast")
    def _cast_deciding_vote(self, change_request_id: str, choice: str) -> None:
        self.items[change_request_id]["casting_vote"] = {"choice": choice,
                                                         "version": self.version + 1}

    def check_quorum(self, board: Board) -> dict[str, Any]:
        """Return the quorum snapshot, refusing the decision when it is not met."""
        quorum = self.quorum(board)
        if not quorum["met"]:
            raise QuorumNotMet("quorum is not met: " + "; ".join(
                quorum_shortfall(quorum, board.members)), **quorum)
        return quorum

    def _record_decision(self, change_request_id: str, outcome: str, tally: dict[str, int],
                         quorum: dict[str, Any], tie_break: str | None) -> dict[str, Any]:
        item = self.items[change_request_id]
        votes = [{"member_id": m, **v} for m, v in item["votes"].items()]
        evidence = sorted([v["version"] for v in votes] +
                          [self.attendance[p]["version"] for p in quorum["present"]] +
                          ([item["casting_vote"]["version"]] if item["casting_vote"] else []))
        self._decide(change_request_id=change_request_id, outcome=outcome, tally=tally,
                     quorum=quorum, tie_break=tie_break, votes=votes,
                     casting_vote=(item["casting_vote"] or {}).get("choice"),
                     emergency=item["emergency"], evidence_versions=evidence)
        return dict(item["decision"])

    @event("ItemDecided")
    def _decide(self, change_request_id: str, outcome: str, tally: dict[str, int],
                quorum: dict[str, Any], tie_break: str | None, votes: list[dict[str, Any]],
                casting_vote: str | None, emergency: bool,
                evidence_versions: list[int]) -> None:
        self.items[change_request_id]["decision"] = {
            "outcome": outcome, "tally": tally, "quorum": quorum, "tie_break": tie_break,
            "casting_vote": casting_vote, "version": self.version + 1}

    # -- action items ----------------------------------------------------------------------------

    def note_action_item(self, action_item_id: str, change_request_id: str | None, title: str,
                         owner_id: str) -> None:
        """Record that an action item was raised in this meeting (optionally on an item)."""
        self.check_open()
        if change_request_id:
            self.item(change_request_id)
        self._note_action_item(action_item_id=action_item_id,
                               change_request_id=change_request_id, title=title,
                               owner_id=owner_id)

    @event("ActionItemNoted")
    def _note_action_item(self, action_item_id: str, change_request_id: str | None, title: str,
                          owner_id: str) -> None:
        pass


def outcome_of(tally: dict[str, int]) -> str | None:
    """More approves than rejects → approved; more rejects → rejected; a tie → None."""
    if tally["approve"] > tally["reject"]:
        return "approved"
    if tally["reject"] > tally["approve"]:
        return "rejected"
    return None


def casting_vote_needed(charter: Mapping[str, Any], tally: Mapping[str, int]) -> bool:
    """A tie that the charter gives the chair to break: the item waits for the casting vote."""
    return charter["tie_breaker"] == "chair" and outcome_of(tally) is None


def tally_of(votes: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Count votes (the one counted vote of each member, each with a ``choice``) by choice."""
    choices = [v["choice"] for v in votes]
    return {c: choices.count(c) for c in CHOICES}


def quorum_snapshot(attendance: Mapping[str, str], proxies: Iterable[Mapping[str, Any]],
                    members: Mapping[str, str], charter: Mapping[str, Any]) -> dict[str, Any]:
    """The quorum as it stands: members present, their functions, proxies held, met or not.

    :param attendance: person id → function recorded at check-in, in check-in order.
    :param proxies: the meeting's proxies (``grantor_id``, ``holder_id``, ``status``).
    :param members: the board's members in force (person id → function).
    :param charter: the charter in force (quorum minimums, whether proxies count).

    Membership is the one in force when the quorum is checked: someone who left the board since
    checking in is not counted, and a member's function is the one they hold on the board now
    (the function recorded at check-in only for someone the membership does not name).
    A proxy is held when it can still carry a vote (:data:`LIVE_PROXY`), its holder is present
    and its grantor is not, and both still sit on the board; it counts toward quorum, with its
    grantor's function, only when the charter says so.
    """
    present = [p for p in attendance if p in members]
    functions = {members.get(p) or attendance[p] for p in present}
    held = [{"grantor_id": p["grantor_id"], "holder_id": p["holder_id"]} for p in proxies
            if p["status"] in LIVE_PROXY and p["holder_id"] in attendance
            and p["grantor_id"] not in attendance
            and p["holder_id"] in members and p["grantor_id"] in members]
    count = len(present)
    if charter["proxies_count_toward_quorum"]:
        count += len(held)
        functions |= {members[p["grantor_id"]] for p in held if p["grantor_id"] in members}
    required_members = int(charter["quorum_min_members"])
    required_functions = int(charter["quorum_min_functions"])
    return {"met": count >= required_members and len(functions) >= required_functions,
            "present": present, "functions": sorted(functions), "proxies": held,
            "counted": count, "required_members": required_members,
            "required_functions": required_functions}


def timebox_ran_out(opened_at: datetime | None, charter: Mapping[str, Any], at: datetime) -> bool:
    """Whether the charter's time-box has run out at ``at`` for a meeting opened then (items
    undecided at a close after it are deferred for the ``timebox``)."""
    limit = timedelta(minutes=int(charter["timebox_minutes"]))
    return opened_at is not None and at >= opened_at + limit


def quorum_shortfall(snapshot: Mapping[str, Any], members: Mapping[str, str]) -> list[str]:
    """What a :func:`quorum_snapshot` lacks, in words (empty when quorum is met): how many more
    members must be counted and how many more distinct functions, naming the functions that
    only absent members could bring.

    :param members: the board's members in force (person id → function).
    """
    missing = []
    short_members = snapshot["required_members"] - snapshot["counted"]
    if short_members > 0:
        missing.append(f"needs {short_members} more member{'s' if short_members > 1 else ''} "
                       f"({snapshot['counted']} of the {snapshot['required_members']} "
                       "required are counted)")
    short_functions = snapshot["required_functions"] - len(snapshot["functions"])
    if short_functions > 0:
        present = set(snapshot["functions"])
        absent = sorted({f for p, f in members.items() if f not in present})
        missing.append(
            f"needs {short_functions} more function{'s' if short_functions > 1 else ''} "
            f"among those counted ({len(present)} of {snapshot['required_functions']}"
            + (f": {', '.join(sorted(present))}" if present else "") + ")"
            + (f"; no {' or '.join(absent)} representative present" if absent else ""))
    return missing


def lapsing_proxies(proxies: Iterable[Mapping[str, Any]], person_id: str) -> list[str]:
    """The proxies that lapse when ``person_id`` checks in: the active ones they gave."""
    return [p["id"] for p in proxies if p["grantor_id"] == person_id and p["status"] == "active"]


def deferral_evidence(vote_versions: Iterable[int], attendance_versions: Iterable[int],
                      item_version: int, close_version: int) -> list[int]:
    """The events an item deferred at close rests on: its counted votes, the check-ins of the
    members present, the event that put it on the agenda and the close itself."""
    return sorted({*vote_versions, *attendance_versions, item_version, close_version})


def check_chair(board: Board, actor_id: str | None, is_admin: bool) -> None:
    """Refuse anyone but the chair or an admin."""
    if not is_admin and actor_id != board.chair_id:
        raise NotChair("only the chair or an administrator may do this",
                       chair_id=board.chair_id)


def check_conflict(board: Board, item: dict[str, Any], person_id: str) -> None:
    """The requester may not vote on their own change unless the charter allows it."""
    if item["requester_id"] == person_id and not board.charter["requester_may_vote"]:
        raise RequesterCannotVote("the requester of a change may not vote on it (conflict of "
                                  "interest)", person_id=person_id)


class MeetingNotOpen(DomainError):
    """Raised when a command needs the meeting in session and it is not."""

    code = "meeting_not_open"


class MeetingNotScheduled(DomainError):
    """Raised when opening a meeting that is already open or closed."""

    code = "meeting_not_scheduled"


class MeetingClosed(DomainError):
    """Raised when changing a meeting that is closed."""

    code = "meeting_closed"


class NotChair(DomainError):
    """Raised when someone other than the chair (or an admin, where allowed) runs the meeting."""

    code = "not_chair"


class AlreadyPresent(DomainError):
    """Raised when attendance is recorded twice for one person."""

    code = "already_present"


class NotPresent(DomainError):
    """Raised when a member who has not checked in votes."""

    code = "not_present"


class ProxyToSelf(DomainError):
    """Raised when a member names themselves as their proxy."""

    code = "proxy_to_self"


class ProxyAlreadyGiven(DomainError):
    """Raised when a grantor gives a second proxy for the same meeting."""

    code = "proxy_already_given"


class ProxyChain(DomainError):
    """Raised when a proxy would make a chain (a holder giving, or a grantor holding)."""

    code = "proxy_chain"


class NoSuchProxy(DomainError):
    """Raised when a proxy id is unknown in the meeting."""

    code = "no_such_proxy"


class ProxyUsed(DomainError):
    """Raised when revoking a proxy that has already carried a vote."""

    code = "proxy_used"


class ProxyNotActive(DomainError):
    """Raised when revoking a proxy that is already revoked or lapsed."""

    code = "proxy_not_active"


class NoProxy(DomainError):
    """Raised when voting on behalf of someone without holding their proxy."""

    code = "no_proxy"


class GrantorPresent(DomainError):
    """Raised when a proxy would act for a grantor who is present."""

    code = "grantor_present"


class ProxyHolderAbsent(DomainError):
    """Raised when a proxy holder who has not checked in votes for their grantor."""

    code = "proxy_holder_absent"


class AlreadyOnAgenda(DomainError):
    """Raised when a change request is put on the same agenda twice."""

    code = "already_on_agenda"


class NotOnAgenda(DomainError):
    """Raised when acting on a change request that is not on the meeting's agenda."""

    code = "not_on_agenda"


class AlreadyDecided(DomainError):
    """Raised when voting on or deciding an item that is already decided."""

    code = "already_decided"


class RequesterCannotVote(DomainError):
    """Raised when the requester votes on their own change and the charter forbids it."""

    code = "requester_cannot_vote"


class QuorumNotMet(DomainError):
    """Raised when deciding without quorum."""

    code = "quorum_not_met"


class AwaitingCastingVote(DomainError):
    """Raised when a tie waits for the chair's casting vote."""

    code = "awaiting_casting_vote"


class CastingVoteNotNeeded(DomainError):
    """Raised when a casting vote is offered without a tie or without a chair tie-breaker."""

    code = "casting_vote_not_needed"
