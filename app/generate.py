"""A realistic synthetic history for scale tests and benchmarks: ``govledger generate``.

A seeded story of an organisation, day by day on working days: people, ten Change Control Boards
meeting weekly (attendance, proxies, agendas, votes, casting votes, decisions, deferrals,
action items), change requests (standard, normal, emergency with out-of-meeting approval and
ratification), an on-call rotation with incidents and fire drills (pages, clock escalations,
acknowledgement, mitigation, resolution, debriefs), action items worked to completion, and
launches with their post-launch reviews (metrics, a status update for every open item, issues,
notes, finalisation).

Every command goes through the domain aggregates and their rules (the same calls the services
make), so the history is valid and every projection applies it. Commands are buffered and the
application saves their events in batches, in the order the commands raised them. The same seed
on the same store gives the same history: ids come from the seeded generator and times from the
story's own clock (it starts on 2019-01-07, or just after the store's last event).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID

from app.ledger import SYSTEM_ACTOR
from domain.base import command_context, using_clock, using_ids
from domain.ccb.board import Board, charter_with
from domain.ccb.meeting import Meeting, casting_vote_needed
from domain.changes.change_request import ChangeRequest
from domain.oncall.incident import CATEGORIES as INCIDENT_CATEGORIES
from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.people.person import EmailIndex, Person
from domain.reviews.action_item import ActionItem, default_due
from domain.reviews.review import (
    DEFAULT_TARGETS,
    MONTHLY_REVIEWS,
    Launch,
    Review,
    check_targets,
    propose_schedule,
)

if TYPE_CHECKING:
    from app.bootstrap import Services

START = datetime(2019, 1, 7, 8, tzinfo=timezone.utc)
"""Where a history in an empty store begins (a Monday)."""
FUNCTIONS = ("engineering", "product", "security", "devops", "qa", "management")
PEOPLE = 60
BOARDS = 10
BOARD_SIZE = 8
SYSTEMS = ("db", "api", "auth", "payments", "storage", "web", "queue", "search", "billing")
BATCH_EVENTS = 5000


class _Done(Exception):
    """Raised inside the story once enough events are buffered."""


@dataclass
class _Batch:
    """Events of several commands, in the order raised, saved by the application at once."""

    events: list[Any] = field(default_factory=list)
    id: UUID = UUID(int=0)

    def collect_events(self) -> list[Any]:
        events, self.events = self.events, []
        return events


@dataclass
class _Story:
    """What the generator remembers between commands (only what is still open)."""

    people: list[str] = field(default_factory=list)
    functions: dict[str, str] = field(default_factory=dict)
    boards: list[Board] = field(default_factory=list)
    waiting: dict[str, list[ChangeRequest]] = field(default_factory=dict)
    queued: dict[str, ChangeRequest] = field(default_factory=dict)
    items: dict[str, ActionItem] = field(default_factory=dict)
    reviews: list[Review] = field(default_factory=list)
    launches: dict[str, Launch] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    rotation: Rotation | None = None
    planned_until: date | None = None


class Generator:
    """Appends a seeded, realistic history through the application, in batches."""

    def __init__(self, services: Services, seed: int = 0,
                 batch_events: int = BATCH_EVENTS) -> None:
        self.ledger = services.ledger
        head = self.ledger.recorder.max_notification_id() or 0
        self.rng = random.Random(f"govledger-generate:{seed}:{head}")
        self.tag = f"{seed}.{head}"
        self.now = max(START, self._last_time(head) + timedelta(minutes=1))
        self.batch_events = batch_events
        self.batch = _Batch()
        self.target = 0
        self.appended = 0
        self.progress: Callable[[int], None] | None = None
        self.story = _Story()
        self._open_items = services.actions.open_action_items if head else None

    def _last_time(self, head: int) -> datetime:
        if not head:
            return START
        last = self.ledger.recorder.select_notifications(start=head, limit=1)
        return self.ledger.mapper.to_domain_event(last[0]).timestamp if last else START

    # -- running ---------------------------------------------------------------------------------

    def run(self, events: int, progress: Callable[[int], None] | None = None) -> int:
        """Append at least ``events`` events (whole commands); returns how many."""
        self.target, self.progress = events, progress
        with using_clock(lambda: self.now), using_ids(self.uid):
            try:
                self._adopt_open_items()
                self.setup()
                while True:
                    self.day()
            except _Done:
                pass
        self.flush()
        return self.appended

    def uid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def tick(self, low: float, high: float) -> None:
        """Move the story's clock on by ``low``–``high`` minutes."""
        self.now += timedelta(seconds=int(self.rng.uniform(low, high) * 60))

    def commit(self, *aggregates: Any) -> None:
        """One command done: keep its events, in order; save a full batch."""
        for aggregate in aggregates:
            self.batch.events.extend(aggregate.collect_events())
        if self.appended + len(self.batch.events) >= self.target:
            raise _Done
        if len(self.batch.events) >= self.batch_events:
            self.flush()

    def flush(self) -> None:
        count = len(self.batch.events)
        if count:
            self.ledger.save(self.batch)
            self.appended += count
            if self.progress is not None:
                self.progress(count)

    def acting(self, actor: str, **context: Any) -> Any:
        return command_context(actor_id=actor, **context)

    def _adopt_open_items(self) -> None:
        """Open action items already in the store get updates in the reviews too."""
        if self._open_items is None:
            return
        for item_id in self._open_items():
            self.story.items[item_id] = self.ledger.load(ActionItem, item_id)

    # -- the cast --------------------------------------------------------------------------------

    def setup(self) -> None:
        s, rng = self.story, self.rng
        with self.acting(SYSTEM_ACTOR, reason="generated history"):
            for i in range(PEOPLE):
                function = FUNCTIONS[i % len(FUNCTIONS)]
                email = f"person{i}.{self.tag}@generated.example"
                person = Person(name=f"Person {i} ({self.tag})", email=email, function=function)
                person.grant_role("member")
                self.commit(person, EmailIndex(email=email, person_id=person.id))
                s.people.append(str(person.id))
                s.functions[str(person.id)] = function
            for b in range(BOARDS):
                members = rng.sample(s.people, BOARD_SIZE)
                while len({s.functions[m] for m in members}) < 4:
                    members = rng.sample(s.people, BOARD_SIZE)
                charter = charter_with({"tie_breaker": ("chair", "status_quo", "defer")[b % 3],
                                        "proxies_count_toward_quorum": b % 2 == 0,
                                        "cadence_weekday": ("monday", "tuesday", "wednesday",
                                                            "thursday", "friday")[b % 5]})
                board = Board.create(name=f"Board {b} ({self.tag})", chair_id=members[0],
                                     members={m: s.functions[m] for m in members},
                                     charter=charter)
                self.commit(board)
                s.boards.append(board)
                s.waiting[str(board.id)] = []
            rotation = Rotation.create(name=f"Platform on-call ({self.tag})", timezone="UTC",
                                       roster=rng.sample(s.people, 6))
            rotation.change_policy(engineering_lead_id=s.people[0], executive_id=s.people[5])
            self.commit(rotation)
            s.rotation = rotation

    # -- a working day ---------------------------------------------------------------------------

    def day(self) -> None:
        today = self.now.date()
        if today.weekday() < 5:
            self.plan_rotation()
            for _ in range(self.rng.randint(12, 20)):
                self.submit_change()
            for board in self.story.boards:
                if board.charter["cadence_weekday"] == today.strftime("%A").lower():
                    self.meeting(board)
            for _ in range(self.rng.randint(2, 6)):
                self.incident(practice=self.rng.random() < 0.1)
            self.work_on_items()
            if self.rng.random() < 0.1:
                self.launch()
            self.reviews_due(today)
        self.now = max(self.now, datetime.combine(today + timedelta(days=1),
                                                  START.timetz()))

    def plan_rotation(self) -> None:
        s = self.story
        assert s.rotation is not None
        week = s.rotation.week_of(self.now + timedelta(days=7))
        if s.planned_until is None or week >= s.planned_until:
            start = s.planned_until or s.rotation.week_of(self.now)
            with self.acting(SYSTEM_ACTOR):
                s.rotation.plan(8, start)
                self.commit(s.rotation)
            s.planned_until = start + timedelta(days=56)

    # -- change requests -------------------------------------------------------------------------

    def submit_change(self) -> None:
        s, rng = self.story, self.rng
        board = rng.choice(s.boards)
        requester = rng.choice(s.people)
        category = rng.choices(("normal", "standard", "emergency"), (75, 15, 10))[0]
        start = self.now + timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 10))
        with self.acting(requester):
            change = ChangeRequest.submit(
                requester_id=requester, board_id=str(board.id),
                title=f"{rng.choice(('Upgrade', 'Patch', 'Migrate', 'Resize', 'Rotate'))} "
                      f"{rng.choice(SYSTEMS)} #{rng.randint(1, 99999)}",
                description="Generated change request with a realistic description " * 2,
                category=category, risk=rng.choice(("low", "medium", "high")),
                systems=rng.sample(SYSTEMS, rng.randint(1, 3)), planned_start=start,
                planned_end=start + timedelta(hours=rng.randint(1, 4)),
                rollback_plan="Restore the previous release and verify health checks.")
            self.commit(change)
        self.tick(1, 6)
        if category == "standard":
            return
        if category == "emergency" and requester != board.chair_id:
            self.approve_emergency(board, change)
        else:
            s.waiting[str(board.id)].append(change)

    def approve_emergency(self, board: Board, change: ChangeRequest) -> None:
        chair_function = board.members[board.chair_id]
        others = [m for m, f in board.members.items()
                  if f != chair_function and m != change.requester_id]
        if not others:
            self.story.waiting[str(board.id)].append(change)
            return
        with self.acting(board.chair_id):
            change.approve_emergency(board.chair_id, chair_function, "chair")
            self.commit(change)
        self.tick(2, 20)
        second = self.rng.choice(others)
        with self.acting(second):
            if change.approve_emergency(second, board.members[second], "member"):
                board.queue_item(change_request_id=str(change.id), why="ratification")
                self.story.queued[str(change.id)] = change
            self.commit(change, board)
        self.tick(1, 5)

    # -- meetings --------------------------------------------------------------------------------

    def meeting(self, board: Board) -> None:
        s, rng = self.story, self.rng
        chair = board.chair_id
        members = list(board.members)
        with self.acting(chair):
            meeting = Meeting(board_id=str(board.id), scheduled_start=self.now,
                              scheduled_end=self.now + timedelta(minutes=120))
            self.commit(meeting)
            self.tick(1, 5)
            meeting.open(board, chair, False)
            changed = self.take_queue(meeting, board)
            self.commit(meeting, *changed)
        present = [chair, *rng.sample(members[1:], rng.randint(2, len(members) - 1))]
        absent = [m for m in members if m not in present]
        proxies: dict[str, str] = {}
        if absent and rng.random() < 0.5:
            grantor, holder = rng.choice(absent), rng.choice(present)
            with self.acting(grantor):
                meeting.give_proxy(board, grantor, holder)
                self.commit(meeting)
            proxies[grantor] = holder
            if rng.random() < 0.2:
                present.append(grantor)  # arrives after all: the proxy lapses
        for person in present:
            mode = rng.choice(("in_person", "in_person", "remote"))
            with self.acting(person):
                meeting.record_attendance(
                    board, person, mode, s.functions[person],
                    "https://meet.example.org/rec/" + person[:8] if mode == "remote" else None,
                    person, False)
                self.commit(meeting)
            self.tick(0.2, 1)
        waiting = s.waiting[str(board.id)]
        agenda, s.waiting[str(board.id)] = waiting[:10], waiting[10:]
        for change in agenda:
            with self.acting(chair):
                change.schedule(str(meeting.id), str(board.id))
                meeting.add_item(str(change.id), change.requester_id,
                                 change.category == "emergency")
                self.commit(meeting, change)
        for change_id in list(meeting.items):
            self.discuss(meeting, board, s.queued.get(change_id) or self.find(agenda, change_id),
                         present, proxies)
        self.tick(5, 40)
        with self.acting(chair):
            deferred, reason = meeting.close(board, chair, False)
            changed = []
            for change_id in deferred:
                change = s.queued.get(change_id) or self.find(agenda, change_id)
                if change.decidable:
                    change.record_decision(str(meeting.id), "deferred")
                    board.queue_item(change_request_id=change_id, why=reason)
                    s.queued[change_id] = change
                    changed.append(change)
            self.commit(meeting, board, *changed)

    @staticmethod
    def find(changes: list[ChangeRequest], change_id: str) -> ChangeRequest:
        return next(c for c in changes if str(c.id) == change_id)

    def take_queue(self, meeting: Meeting, board: Board) -> list[Any]:
        """The board's queued deferrals and ratifications join the agenda (as the service does)."""
        taken = list(board.queue)
        changed: list[Any] = []
        for change_id in taken:
            change = self.story.queued[change_id]
            if change.schedulable and change_id not in meeting.items:
                change.schedule(str(meeting.id), str(board.id))
                meeting.add_item(change_id, change.requester_id, change.category == "emergency",
                                 carried_over=board.queue[change_id])
                changed.append(change)
        if taken:
            board.take_queue(meeting_id=str(meeting.id), change_request_ids=taken)
            changed.append(board)
        return changed

    def discuss(self, meeting: Meeting, board: Board, change: ChangeRequest,
                present: list[str], proxies: dict[str, str]) -> None:
        rng, chair = self.rng, board.chair_id
        change_id = str(change.id)
        voters = [p for p in present if p != change.requester_id]
        for voter in voters:
            with self.acting(voter):
                for _ in range(2 if rng.random() < 0.05 else 1):  # sometimes a change of mind
                    meeting.cast_vote(board, change_id, voter, rng.choices(
                        ("approve", "reject", "abstain"), (60, 25, 15))[0])
                    self.commit(meeting)
            self.tick(0.1, 0.5)
        for grantor, holder in proxies.items():
            if grantor not in present and holder in present and change.requester_id not in (
                    grantor, holder):
                with self.acting(holder, on_behalf_of=grantor):
                    meeting.cast_vote(board, change_id, holder, "approve", grantor)
                    self.commit(meeting)
        if rng.random() < 0.15:
            owner = rng.choice(present)
            with self.acting(chair):
                item = self.raise_item(f"Follow up on {change.title}", owner, "meeting",
                                       str(meeting.id))
                meeting.note_action_item(str(item.id), change_id, item.title, owner)
                self.commit(meeting, item)
        if rng.random() < 0.1 or not meeting.quorum(board)["met"]:
            return  # not decided in time: deferred when the meeting closes
        with self.acting(chair):
            if casting_vote_needed(board.charter, meeting.tally(change_id)):
                decision = meeting.cast_deciding_vote(board, change_id, chair,
                                                      rng.choice(("approve", "reject")))
            else:
                decision = meeting.decide(board, change_id, chair, False)
            change.record_decision(str(meeting.id), decision["outcome"])
            changed: list[Any] = [meeting, change]
            if decision["outcome"] == "deferred":
                board.queue_item(change_request_id=change_id, why="tie_break_defer")
                self.story.queued[change_id] = change
                changed.append(board)
            else:
                self.story.queued.pop(change_id, None)
            self.commit(*changed)
        self.tick(1, 4)

    # -- on-call ---------------------------------------------------------------------------------

    def incident(self, practice: bool) -> None:
        s, rng = self.story, self.rng
        assert s.rotation is not None
        rotation = s.rotation
        policy = rotation.policy_snapshot()
        oncall = rotation.oncall_at(self.now)
        reporter = rng.choice(s.people)
        severity = rng.choices(("P0", "P1", "P2"), (10, 30, 60))[0]
        with self.acting(reporter):
            incident = Incident.open(
                title=f"{rng.choice(('Errors on', 'Latency in', 'Outage of'))} "
                      f"{rng.choice(SYSTEMS)}", severity=severity,
                category=rng.choice(INCIDENT_CATEGORIES),
                affected_users_percent=float(rng.randint(0, 80)),
                security=rng.random() < 0.05, regulatory=rng.random() < 0.02,
                practice=practice, runbook_id=None, rotation_id=str(rotation.id), policy=policy,
                responders={"L1": oncall["primary_id"], "L2": oncall["secondary_id"],
                            "L3": policy["engineering_lead_id"],
                            "executive": policy["executive_id"]},
                opened_by=reporter)
            self.commit(incident)
        opened = self.now
        self.tick(2, 25)
        if incident.due_escalations(self.now):
            with self.acting(SYSTEM_ACTOR, reason="escalation tick"):
                incident.escalate_by_clock(self.now)
                self.commit(incident)
        responder = oncall["primary_id"] or rng.choice(s.people)
        with self.acting(responder):
            incident.acknowledge(responder)
            self.commit(incident)
            acknowledged = self.now
            self.tick(5, 30)
            incident.mitigate("Mitigated by rolling back and scaling out.")
            self.commit(incident)
            self.tick(5, 40)
            incident.resolve("Root cause found and fixed.")
            self.commit(incident)
        if not practice:
            s.incidents.append({"id": str(incident.id), "title": incident.title,
                                "severity": severity, "status": "resolved",
                                "opened_at": opened.isoformat(),
                                "acknowledged_at": acknowledged.isoformat(),
                                "resolved_at": self.now.isoformat()})
            del s.incidents[:-40]
        if practice:
            owner = rng.choice(s.people)
            with self.acting(responder):
                item = self.raise_item("Drill improvement: tighten the runbook", owner, "drill",
                                       str(incident.id))
                incident.record_debrief("Drill went fine.", [{"title": item.title,
                                                              "owner_id": owner,
                                                              "priority": item.priority}],
                                        [str(item.id)])
                self.commit(incident, item)
        elif severity != "P2":
            with self.acting(responder):
                self.commit(self.raise_item(f"Prevent recurrence: {incident.title}",
                                            rng.choice(s.people), "incident", str(incident.id)))
        self.tick(5, 30)

    # -- action items ----------------------------------------------------------------------------

    def raise_item(self, title: str, owner: str, source_type: str,
                   source_id: str | None) -> ActionItem:
        priority = self.rng.choices(("P0", "P1", "P2"), (10, 40, 50))[0]
        item = ActionItem(title=title[:200], description="", owner_id=owner,
                          due=default_due(priority, self.now.date()).isoformat(),
                          priority=priority, source_type=source_type, source_id=source_id)
        self.story.items[str(item.id)] = item
        return item

    def work_on_items(self) -> None:
        rng = self.rng
        for item_id, item in list(self.story.items.items()):
            roll = rng.random()
            if roll < 0.35:
                status, note = "completed", "Done."
            elif roll < 0.6 and item.status == "open":
                status, note = "in_progress", "Started."
            elif roll < 0.63 and item.status != "blocked":
                status, note = "blocked", "Waiting for another team."
            else:
                continue
            with self.acting(item.owner_id):
                item.update_status(status, note)
                self.commit(item)
            if status == "completed":
                del self.story.items[item_id]
            self.tick(0.1, 1)

    # -- launches and reviews --------------------------------------------------------------------

    def launch(self) -> None:
        s, rng = self.story, self.rng
        owner = rng.choice(s.people)
        with self.acting(owner):
            launch = Launch(name=f"{rng.choice(SYSTEMS)} v{rng.randint(2, 40)}",
                            system=rng.choice(SYSTEMS), launch_date=self.now.date().isoformat(),
                            description="Generated launch", owner_id=owner,
                            targets=check_targets(dict(DEFAULT_TARGETS)))
            reviews = [Review(launch_id=str(launch.id), seq=n, kind=p.kind,
                              scheduled_for=p.day.isoformat())
                       for n, p in enumerate(propose_schedule(self.now.date(), MONTHLY_REVIEWS),
                                             1)]
            launch.schedule_reviews([{"id": str(r.id), "seq": r.seq, "day": r.scheduled_for,
                                      "kind": r.kind} for r in reviews])
            self.commit(launch, *reviews)
        s.launches[str(launch.id)] = launch
        s.reviews.extend(reviews)

    def reviews_due(self, today: date) -> None:
        s = self.story
        due = [r for r in s.reviews if r.scheduled_for <= today.isoformat()]
        s.reviews = [r for r in s.reviews if r.scheduled_for > today.isoformat()]
        for review in due:
            self.review(review)
        live = {r.launch_id for r in s.reviews}
        s.launches = {k: v for k, v in s.launches.items() if k in live}

    def review(self, review: Review) -> None:
        s, rng = self.story, self.rng
        launch = s.launches[review.launch_id]
        owner = launch.owner_id
        if rng.random() < 0.05:
            with self.acting(owner, reason="launch rolled back; review not needed"):
                review.cancel()
                self.commit(review)
            return
        with self.acting(owner):
            review.record_metrics({"uptime_pct": f"{rng.uniform(99.5, 100):.3f}",
                                   "error_rate_pct": f"{rng.uniform(0, 2):.2f}",
                                   "p95_ms": rng.randint(200, 1400),
                                   "active_users": rng.randint(100, 50000),
                                   "tickets": {"critical": rng.randint(0, 2),
                                               "high": rng.randint(0, 5)}}, "form")
            self.commit(review)
            for item_id, item in list(s.items.items()):
                status = "completed" if rng.random() < 0.3 else (
                    "in_progress" if item.status == "open" else item.status)
                note = "Reviewed: " + ("blocked on another team" if status == "blocked"
                                       else "progressing")
                item.update_status(status, note, review_id=str(review.id))
                review.record_status_update(item_id, status, note)
                self.commit(review, item)
                if status == "completed":
                    del s.items[item_id]
            if rng.random() < 0.4:
                item = self.raise_item("Issue found in review", rng.choice(s.people), "review",
                                       str(review.id))
                review.note_issue(str(item.id), item.title)
                self.commit(review, item)
            review.record_notes(backlog=["Tune alerts"], positive=["Fast pages"],
                                negative=["Slow search"], next_review_date=None,
                                focus_areas=["latency"])
            self.commit(review)
            review.finalise({k: v.title for k, v in s.items.items()},
                            [i for i in s.incidents[-40:] if i["opened_at"] >= (
                                self.now - timedelta(days=7)).isoformat()],
                            launch.targets)
            self.commit(review)
        self.tick(10, 30)


def generate(services: Services, events: int, seed: int = 0,
             progress: Callable[[int], None] | None = None) -> int:
    """Append at least ``events`` events of generated history; returns how many were appended.

    Generated history is the past of made-up people: when the notification worker had derived
    every event before it, it is moved past the generated ones (nobody is mailed or paged for
    them, as for an existing store's past events); a worker still behind is left where it is."""
    before = services.ledger.recorder.max_notification_id() or 0
    appended = Generator(services, seed).run(events, progress)
    services.notifications.pass_history(before, services.ledger.recorder.max_notification_id())
    return appended
