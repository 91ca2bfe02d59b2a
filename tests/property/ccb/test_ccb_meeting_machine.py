"""Stateful property test of a board meeting: random attendance, proxies, votes, decisions and
members leaving or rejoining the board mid-meeting (membership in force at each command).

Whatever order the commands come in, the ledger must agree with a simple dict model on which
commands are refused (and by which rule), and the read models must keep these invariants:
no proxy chain ever exists; at most one counted vote per member per item; a decision exists only
with quorum; every tally equals the votes in the events; rebuilding the projections from the
events gives the same decision log. At the end the meeting closes: every undecided item becomes a
``deferred`` row of the log with the tally so far and the quorum as it stood.

The read models must also never disagree with the aggregates, because they copy the domain's
facts instead of recomputing its rules: proxy states (lapsed, used, revoked), each item's tally,
the quorum the domain would compute from the meeting as the read model holds it, and the
ratification state of the emergency change on the agenda (ratified, rejected, or overdue once the
meeting closes without deciding it) equal what the Meeting and ChangeRequest aggregates say.
And the same history stored the way release 0.1 stored it (without the recorded facts) rebuilds
into identical read models, through the same domain functions.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from app.bootstrap import bootstrap
from app.config import load_settings
from domain.ccb.board import Board
from domain.ccb.meeting import Meeting, quorum_snapshot, tally_of
from domain.changes.change_request import ChangeRequest
from domain.errors import DomainError
from projections.ccb.meeting_state import states_of
from projections.ccb.tables import boards, decisions, meetings
from tests import conftest
from tests.support.ccb import make_ccb
from tests.support.legacy import forget_recorded_facts

PEOPLE = st.integers(0, 4)
ITEMS = st.integers(0, 2)
CHOICES = st.sampled_from(["approve", "reject", "abstain"])
PAIRS = st.permutations(range(5)).map(lambda p: (p[0], p[1]))
"""Two different members (a proxy to oneself is tried separately, less often)."""


class MeetingMachine(RuleBasedStateMachine):
    """Five members of five functions (0 chairs); item 1 was requested by member 1; item 2 is an
    emergency change approved out of meeting (by 0 and 2), on the agenda for ratification."""

    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="gl-ccb-")
        self.pg_name = None
        url = f"sqlite:///{self.tmp}/store.sqlite3"
        if self.backend == "postgres":
            self.pg_name, url = conftest._new_pg_database()  # noqa: SLF001
        self.services = bootstrap(load_settings(database_url=url, instance_path=self.tmp,
                                                password_cost="fast"))
        self.ccb = make_ccb(self.services)
        self.ccb.submit(title="Outsider's change")
        self.ccb.submit(by=self.ccb.people[1], title="Member one's change")
        emergency = self.ccb.submit(title="Hotfix", category="emergency",
                                    board_id=self.ccb.board_id)
        for approver in (self.ccb.people[0], self.ccb.people[2]):
            with self.ccb.as_(approver):
                self.ccb.services.ccb.approve_emergency_change(emergency)
        self.ccb.schedule()
        for change in self.ccb.changes[:2]:
            self.ccb.add(change)
        self.ccb.open()  # the ratification joins the agenda from the board's queue
        self.present: set[int] = set()
        self.proxies: dict[str, dict[str, Any]] = {}
        self.votes: list[dict[int, str]] = [{}, {}, {}]
        self.decided: list[str | None] = [None, None, None]
        self.requesters = [None, 1, None]
        self.left: set[int] = set()

    # -- helpers ---------------------------------------------------------------------------------

    def events(self) -> int:
        return conftest.event_count(self.services)

    def attempt(self, who: int, expected: str | None, command: Any) -> Any:
        """Run ``command`` as member ``who``; check it is refused with ``expected`` or not."""
        before = self.events()
        with self.ccb.as_(self.ccb.people[who]):
            if expected is None:
                result = command()
                assert self.events() > before
                return result
            with pytest.raises(DomainError) as refused:
                command()
        assert refused.value.code == expected
        assert self.events() == before
        return None

    def standing(self) -> list[dict[str, Any]]:
        return [p for p in self.proxies.values() if p["status"] != "revoked"]

    def quorum_met(self) -> bool:  # five distinct functions: members == functions
        return len(self.present - self.left) >= 3  # members who left no longer count

    def tally(self, item: int) -> Counter[str]:
        return Counter(self.votes[item].values())

    # -- rules -----------------------------------------------------------------------------------

    @initialize(first=st.lists(PEOPLE, unique=True, min_size=1, max_size=3))
    def early_arrivals(self, first: list[int]) -> None:
        for who in first:
            self.attend(who)

    @rule(who=st.integers(1, 4))
    def leave_or_rejoin(self, who: int) -> None:
        """A member (never the chair) leaves the board mid-meeting, or one who left rejoins:
        membership amendments by an admin, with a reason."""
        before = self.events()
        with self.ccb.as_(self.ccb.admin, reason="membership amendment"):
            if who in self.left:
                self.services.ccb.add_board_member(self.ccb.board_id, self.ccb.people[who]["id"])
                self.left.discard(who)
            else:
                self.services.ccb.remove_board_member(self.ccb.board_id,
                                                      self.ccb.people[who]["id"])
                self.left.add(who)
        assert self.events() == before + 1

    @rule(who=PEOPLE)
    def attend(self, who: int) -> None:
        expected = ("member_left" if who in self.left else
                    "already_present" if who in self.present else None)
        person = self.ccb.people[who]
        self.attempt(who, expected, lambda: self.ccb.services.ccb.record_attendance(
            self.ccb.meeting_id, person["id"], "in_person"))
        if expected is None:
            self.present.add(who)
            for p in self.proxies.values():
                if p["grantor"] == who and p["status"] == "active":
                    p["status"] = "lapsed"

    @rule(pair=st.one_of(PAIRS, PAIRS, PAIRS, PEOPLE.map(lambda p: (p, p))))
    def give_proxy(self, pair: tuple[int, int]) -> None:
        grantor, holder = pair
        standing = self.standing()
        expected = ("member_left" if grantor in self.left or holder in self.left else
                    "proxy_to_self" if grantor == holder else
                    "grantor_present" if grantor in self.present else
                    "proxy_already_given" if any(p["grantor"] == grantor for p in standing) else
                    "proxy_chain" if any(p["holder"] == grantor or p["grantor"] == holder
                                         for p in standing) else None)
        people = self.ccb.people
        result = self.attempt(grantor, expected, lambda: self.ccb.services.ccb.give_proxy(
            self.ccb.meeting_id, people[grantor]["id"], people[holder]["id"]))
        if result is not None:
            self.proxies[result["id"]] = {"grantor": grantor, "holder": holder,
                                          "status": "active"}

    @rule(pair=PAIRS)
    def give_proxy_then_arrive(self, pair: tuple[int, int]) -> None:
        """A member gives a proxy, then attends after all (it lapses): rare by chance alone."""
        self.give_proxy(pair)
        self.attend(pair[0])

    @rule(data=st.data())
    def revoke_proxy(self, data: st.DataObject) -> None:
        if not self.proxies:
            return
        proxy_id = data.draw(st.sampled_from(list(self.proxies)))
        proxy = self.proxies[proxy_id]
        expected = {"active": None, "used": "proxy_used"}.get(proxy["status"],
                                                              "proxy_not_active")
        self.attempt(proxy["grantor"], expected,
                     lambda: self.ccb.services.ccb.revoke_proxy(self.ccb.meeting_id, proxy_id))
        if expected is None:
            proxy["status"] = "revoked"

    @rule(voter=PEOPLE, item=ITEMS, choice=CHOICES,
          grantor=st.one_of(st.none(), PEOPLE))
    def vote(self, voter: int, item: int, choice: str, grantor: int | None) -> None:
        proxy = next((p for p in self.standing() if p["grantor"] == grantor
                      and p["holder"] == voter), None)
        own = grantor is None or grantor == voter
        expected = (
            "already_decided" if self.decided[item] else
            "member_left" if voter in self.left else
            "requester_cannot_vote" if voter == self.requesters[item] else
            ("not_present" if voter not in self.present else None) if own else
            "member_left" if grantor in self.left else
            "requester_cannot_vote" if grantor == self.requesters[item] else
            "no_proxy" if proxy is None else
            "grantor_present" if grantor in self.present or proxy["status"] == "lapsed" else
            "proxy_holder_absent" if voter not in self.present else None)
        people = self.ccb.people
        self.attempt(voter, expected, lambda: self.ccb.services.ccb.cast_vote(
            self.ccb.meeting_id, self.ccb.changes[item], choice,
            None if grantor is None else people[grantor]["id"]))
        if expected is None:
            self.votes[item][voter if own else grantor] = choice  # type: ignore[index]
            if not own:
                proxy["status"] = "used"  # type: ignore[index]

    @rule(data=st.data(), item=ITEMS, choice=CHOICES)
    def proxy_vote(self, data: st.DataObject, item: int, choice: str) -> None:
        """A holder votes for the grantor of one of the proxies ever given (any state)."""
        if not self.proxies:
            return
        proxy = self.proxies[data.draw(st.sampled_from(list(self.proxies)))]
        self.vote(proxy["holder"], item, choice, proxy["grantor"])

    @rule(item=ITEMS)
    def decide(self, item: int) -> None:
        tally = self.tally(item)
        tie = tally["approve"] == tally["reject"]
        expected = ("already_decided" if self.decided[item] else
                    "quorum_not_met" if not self.quorum_met() else
                    "awaiting_casting_vote" if tie else None)
        result = self.attempt(0, expected, lambda: self.ccb.services.ccb.decide_item(
            self.ccb.meeting_id, self.ccb.changes[item]))
        if result is not None:
            want = "approved" if tally["approve"] > tally["reject"] else "rejected"
            assert result["outcome"] == want
            self.decided[item] = want

    @rule(item=ITEMS, choice=st.sampled_from(["approve", "reject"]))
    def casting_vote(self, item: int, choice: str) -> None:
        tally = self.tally(item)
        expected = ("already_decided" if self.decided[item] else
                    "casting_vote_not_needed" if tally["approve"] != tally["reject"] else
                    "quorum_not_met" if not self.quorum_met() else None)
        result = self.attempt(0, expected, lambda: self.ccb.services.ccb.cast_deciding_vote(
            self.ccb.meeting_id, self.ccb.changes[item], choice))
        if result is not None:
            self.decided[item] = result["outcome"]
            assert result["tie_break"] == "chair"

    # -- invariants ------------------------------------------------------------------------------

    def read(self) -> tuple[dict[str, Any], list[Any]]:
        self.services.projections.catch_up()
        with self.services.engine.connect() as conn:
            reason = conn.execute(select(meetings.c.deferral_reason).where(
                meetings.c.id == self.ccb.meeting_id)).scalar_one()
            state = states_of(conn, {self.ccb.meeting_id: reason})[self.ccb.meeting_id]
            rows = list(conn.execute(select(decisions).where(decisions.c.kind == "meeting")
                                     .order_by(decisions.c.id)))
        return state, rows

    def ratification_in_the_log(self) -> str | None:
        with self.services.engine.connect() as conn:
            return conn.execute(select(decisions.c.ratification).where(
                decisions.c.kind == "emergency")).scalar_one()

    def aggregates(self) -> tuple[Meeting, Board, ChangeRequest]:
        ledger = self.services.ledger
        meeting = ledger.load(Meeting, self.ccb.meeting_id)
        return (meeting, ledger.load(Board, meeting.board_id),
                ledger.load(ChangeRequest, self.ccb.changes[2]))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the meeting and decision read models, in a stable order."""
        with self.services.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
                    for t in (meetings, decisions)}

    @invariant()
    def no_proxy_chain_ever_exists(self) -> None:
        state, _ = self.read()
        standing = [p for p in state["proxies"] if p["status"] != "revoked"]
        grantors = [p["grantor_id"] for p in standing]
        assert len(grantors) == len(set(grantors))
        assert not set(grantors) & {p["holder_id"] for p in standing}

    @invariant()
    def one_counted_vote_per_member_and_the_model_agrees(self) -> None:
        state, _ = self.read()
        ids = [p["id"] for p in self.ccb.people]
        for n, item in enumerate(state["items"]):
            counted = {ids.index(m): v["choice"] for m, v in item["votes"].items()}
            assert counted == self.votes[n]

    @invariant()
    def decisions_have_quorum_and_tallies_equal_the_vote_events(self) -> None:
        _, rows = self.read()
        assert [r.change_request_id for r in rows] == sorted(
            self.ccb.changes[n] for n, d in enumerate(self.decided) if d)
        history = self.services.ledger.history(Meeting, self.ccb.meeting_id)
        for row in rows:
            assert row.quorum["met"] is True and len(row.quorum["present"]) >= 3
            last: dict[str, str] = {}
            for e in history:
                if e["version"] >= row.evidence["decision_version"]:
                    break
                if e["type"] == "VoteCast" and e["data"]["change_request_id"] == \
                        row.change_request_id:
                    last[e["data"]["member_id"]] = e["data"]["choice"]
            counts = Counter(last.values())
            assert row.tally == {c: counts[c] for c in ("approve", "reject", "abstain")}

    @invariant()
    def the_read_model_agrees_with_the_aggregates(self) -> None:
        state, rows = self.read()
        meeting, board, emergency = self.aggregates()
        assert {p["id"]: p["status"] for p in state["proxies"]} == {
            k: p["status"] for k, p in meeting.proxies.items()}
        for item in state["items"]:
            change_id = item["change_request_id"]
            assert tally_of(item["votes"].values()) == meeting.tally(change_id)
        with self.services.engine.connect() as conn:
            members, charter = conn.execute(select(boards.c.members, boards.c.charter).where(
                boards.c.id == meeting.board_id)).one()
        assert quorum_snapshot({a["person_id"]: a["function"] for a in state["attendance"]},
                               state["proxies"], {m["person_id"]: m["function"] for m in members},
                               charter) == meeting.quorum(board)
        for row in rows:
            decision = meeting.items[row.change_request_id]["decision"]
            assert (row.outcome, row.tally, row.quorum) == (
                decision["outcome"], decision["tally"], decision["quorum"])
        assert self.ratification_in_the_log() == emergency.ratification == {
            "approved": "ratified", "rejected": "rejected", None: "pending"}[self.decided[2]]

    def teardown(self) -> None:
        try:
            with self.ccb.as_(self.ccb.chair):
                self.ccb.services.ccb.close_meeting(self.ccb.meeting_id)
            _, before = self.read()
            deferred = [r for r in before if r.outcome == "deferred"]
            assert sorted(r.change_request_id for r in deferred) == sorted(
                self.ccb.changes[n] for n, d in enumerate(self.decided) if not d)
            meeting, board, emergency = self.aggregates()
            closed = self.services.ledger.history(Meeting, self.ccb.meeting_id)[-1]["data"]
            for row in deferred:
                assert row.reason in ("timebox", "not_decided_before_close")
                counts = self.tally(self.ccb.changes.index(row.change_request_id))
                assert row.tally == {c: counts[c] for c in ("approve", "reject", "abstain")}
                assert row.tally == meeting.tally(row.change_request_id)
                assert row.quorum == meeting.quorum(board) == closed["quorum"]
                assert row.quorum["met"] == self.quorum_met()
                assert row.evidence["event_versions"] == closed["evidence_versions"][
                    row.change_request_id]
            assert self.ratification_in_the_log() == emergency.ratification == (
                "overdue" if self.decided[2] is None else
                {"approved": "ratified", "rejected": "rejected"}[self.decided[2]])
            recorded = self.snapshot()
            self.services.projections.rebuild()
            _, after = self.read()
            assert [tuple(r) for r in after] == [tuple(r) for r in before]
            assert self.snapshot() == recorded
            forget_recorded_facts(self.services)  # as release 0.1 stored them
            self.services.projections.rebuild()
            assert self.snapshot() == recorded
            again, _, _ = self.aggregates()
            assert again.proxies == meeting.proxies
            assert again.items == meeting.items
        finally:
            self.services.close()
            if self.pg_name:
                conftest._drop_pg_database(self.pg_name)  # noqa: SLF001
            shutil.rmtree(self.tmp, ignore_errors=True)


MeetingMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=40,
                                            deadline=None)
TestMeetingRulesOnSQLite = MeetingMachine.TestCase


class PostgresMeetingMachine(MeetingMachine):
    backend = "postgres"


PostgresMeetingMachine.TestCase.settings = settings(max_examples=8, stateful_step_count=15,
                                                    deadline=None)
TestMeetingRulesOnPostgres = pytest.mark.postgres(PostgresMeetingMachine.TestCase)
