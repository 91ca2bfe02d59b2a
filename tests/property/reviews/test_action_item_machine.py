"""Stateful property test: the action item tracker, its read model and a dict model agree,
whatever sequence of raises, updates, reassignments, due-date changes and clock moves."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from app.bootstrap import bootstrap
from app.config import load_settings
from app.reviews.action_item_queries import list_action_items
from domain.base import set_default_clock, system_clock
from domain.errors import DomainError
from domain.reviews.action_item import PRIORITIES, STATUSES, default_due
from tests import conftest

notes = st.sampled_from(["", "  ", "waiting on the vendor", "half done"])
reasons = st.sampled_from([None, "", "on holiday", "scope changed"])


class ActionItemMachine(RuleBasedStateMachine):
    """Drives the tracker's commands against a dict model; refusals append nothing."""

    people = Bundle("people")
    items = Bundle("items")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="gl-actions-")
        self.clock = conftest.FakeClock()
        set_default_clock(self.clock)
        self.services = bootstrap(load_settings(
            database_url=f"sqlite:///{self.tmp}/store.sqlite3", instance_path=self.tmp,
            password_cost="fast"))
        self.model: dict[str, dict[str, Any]] = {}

    def events(self) -> int:
        return conftest.event_count(self.services)

    @rule(target=people)
    def add_person(self) -> str:
        return conftest.add_person(self.services, "member", password=None)["id"]

    @rule(target=items, owner=people, priority=st.sampled_from(PRIORITIES))
    def raise_item(self, owner: str, priority: str) -> str:
        with self.services.ledger.acting_as(owner):
            result = self.services.actions.create_action_item(
                title="Something to do", owner_id=owner, priority=priority,
                source_type="incident")
        self.model[result["id"]] = {"status": "open", "owner_id": owner,
                                    "due": default_due(priority, self.clock.now.date())}
        return result["id"]

    def attempt(self, person: str, item: str, allowed: bool, command: Any, **context: Any) -> bool:
        before = self.events()
        with self.services.ledger.acting_as(person, **context):
            if allowed:
                command()
                assert self.events() == before + 1
                return True
            with pytest.raises(DomainError):
                command()
        assert self.events() == before
        return False

    @rule(person=people, item=items, status=st.sampled_from(STATUSES), note=notes)
    def update_status(self, person: str, item: str, status: str, note: str) -> None:
        expected = self.model[item]
        allowed = expected["status"] != "completed" and (status != "blocked" or note.strip())
        if self.attempt(person, item, bool(allowed), lambda: self.services.actions
                        .update_action_item_status(item, status, note)):
            expected["status"] = status

    @rule(person=people, item=items, owner=people, reason=reasons)
    def reassign(self, person: str, item: str, owner: str, reason: str | None) -> None:
        expected = self.model[item]
        allowed = (expected["status"] != "completed" and bool(reason)
                   and owner != expected["owner_id"])
        if self.attempt(person, item, allowed, lambda: self.services.actions
                        .reassign_action_item(item, owner), reason=reason):
            expected["owner_id"] = owner

    @rule(person=people, item=items, days=st.integers(-10, 10), reason=reasons)
    def change_due(self, person: str, item: str, days: int, reason: str | None) -> None:
        expected = self.model[item]
        due = expected["due"] + timedelta(days=days)
        allowed = expected["status"] != "completed" and bool(reason) and days != 0
        if self.attempt(person, item, allowed, lambda: self.services.actions
                        .change_action_item_due(item, due), reason=reason):
            expected["due"] = due

    @rule(hours=st.integers(1, 24 * 9))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @invariant()
    def read_model_matches_the_model(self) -> None:
        self.services.projections.catch_up()
        today: date = self.clock.now.date()
        seen = {i["id"]: i for i in list_action_items(self.services.engine, today,
                                                       limit=1000)["items"]}
        assert set(seen) == set(self.model)
        for item_id, expected in self.model.items():
            row = seen[item_id]
            assert (row["status"], row["owner_id"], row["due"]) == (
                expected["status"], expected["owner_id"], expected["due"])
            assert row["overdue"] == (expected["status"] != "completed"
                                      and expected["due"] < today)

    def teardown(self) -> None:
        try:
            self.services.projections.rebuild()
            self.read_model_matches_the_model()
        finally:
            self.services.close()
            set_default_clock(system_clock)
            shutil.rmtree(self.tmp, ignore_errors=True)


ActionItemMachine.TestCase.settings = settings(stateful_step_count=20, max_examples=20)
TestActionItemTracker = ActionItemMachine.TestCase
