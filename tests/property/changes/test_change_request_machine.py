"""Stateful property test: the application, its read model and a dict model always agree."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from marshmallow import ValidationError

from app.bootstrap import bootstrap
from app.changes.queries import list_change_requests
from app.changes.schemas import ChangeRequestInputSchema
from app.config import load_settings
from domain.changes.change_request import CATEGORIES, RISKS, ChangeRequest
from domain.errors import DomainError, PermissionDenied
from tests import conftest

texts = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
                min_size=3, max_size=40).filter(lambda s: len(s.strip()) >= 3)
starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1),
                      timezones=st.just(timezone.utc))


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any body the API accepts."""
    start = draw(starts)
    category = draw(st.sampled_from(CATEGORIES))
    return {"title": draw(texts), "description": draw(texts), "category": category,
            "risk": draw(st.sampled_from(RISKS)),
            "systems": draw(st.lists(st.sampled_from(["db", "api", "web", "auth"]), min_size=1,
                                     max_size=3, unique=True)),
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(minutes=draw(st.integers(1, 10_000)))).isoformat(),
            "rollback_plan": draw(texts) if category != "standard" else ""}


INVALIDATIONS = [{"title": ""}, {"title": "  a "}, {"category": "later"}, {"risk": None},
                 {"systems": []}, {"planned_start": "soon"}, {"description": 7},
                 {"planned_end": "2020-01-01T00:00:00+00:00"}, {"surprise": "field"}]


class ChangeRequestMachine(RuleBasedStateMachine):
    """Drives submit/withdraw by members and auditors against a dict model."""

    backend = "sqlite"
    people = Bundle("people")
    changes = Bundle("changes")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="gl-prop-")
        self.pg_name = None
        url = f"sqlite:///{self.tmp}/store.sqlite3"
        if self.backend == "postgres":
            self.pg_name, url = conftest._new_pg_database()  # noqa: SLF001
        self.services = bootstrap(load_settings(database_url=url, instance_path=self.tmp,
                                                password_cost="fast"))
        self.model: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, str] = {}

    def events(self) -> int:
        return conftest.event_count(self.services)

    @rule(target=people, role=st.sampled_from(["member", "member", "auditor"]))
    def add_person(self, role: str) -> str:
        person = conftest.add_person(self.services, role, password=None)
        self.roles[person["id"]] = role
        return person["id"]

    @rule(target=changes, person=people, body=valid_bodies())
    def submit(self, person: str, body: dict[str, Any]) -> str:
        before = self.events()
        data = ChangeRequestInputSchema().load(body)
        with self.services.ledger.acting_as(person):
            if self.roles[person] == "auditor":
                with pytest.raises(PermissionDenied):
                    self.services.changes.submit_change_request(**data)
                assert self.events() == before
                return "none"
            result = self.services.changes.submit_change_request(**data)
        self.model[result["id"]] = {"status": "submitted", "requester_id": person,
                                    "title": data["title"]}
        assert self.events() == before + 1
        return result["id"]

    @rule(body=valid_bodies(), change=st.sampled_from(INVALIDATIONS))
    def submit_invalid(self, body: dict[str, Any], change: dict[str, Any]) -> None:
        before = self.events()
        with pytest.raises(ValidationError):
            ChangeRequestInputSchema().load({**body, **change})
        assert self.events() == before

    @rule(person=people, change=changes)
    def withdraw(self, person: str, change: str) -> None:
        if change == "none":
            return
        before = self.events()
        expected = self.model[change]
        allowed = (self.roles[person] != "auditor" and expected["requester_id"] == person
                   and expected["status"] == "submitted")
        with self.services.ledger.acting_as(person):
            if allowed:
                self.services.changes.withdraw_change_request(change)
                expected["status"] = "withdrawn"
                assert self.events() == before + 1
            else:
                with pytest.raises((DomainError, PermissionDenied)):
                    self.services.changes.withdraw_change_request(change)
                assert self.events() == before

    @invariant()
    def read_model_matches_the_model(self) -> None:
        self.services.projections.catch_up()
        page = list_change_requests(self.services.engine, limit=500)
        seen = {c["id"]: {"status": c["status"], "requester_id": c["requester_id"],
                          "title": c["title"]} for c in page["items"]}
        assert seen == self.model

    def teardown(self) -> None:
        try:
            for change_id, expected in self.model.items():
                change = self.services.ledger.repository.get(change_id_uuid(change_id))
                assert isinstance(change, ChangeRequest)
                assert change.status == expected["status"]
            self.services.projections.rebuild()
            self.read_model_matches_the_model()
        finally:
            self.services.close()
            if self.pg_name:
                conftest._drop_pg_database(self.pg_name)  # noqa: SLF001
            shutil.rmtree(self.tmp, ignore_errors=True)


def change_id_uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


ChangeRequestMachine.TestCase.settings = settings(stateful_step_count=15)
TestChangeRequestsOnSQLite = ChangeRequestMachine.TestCase


class PostgresMachine(ChangeRequestMachine):
    backend = "postgres"


PostgresMachine.TestCase.settings = settings(stateful_step_count=15, max_examples=15)
TestChangeRequestsOnPostgres = pytest.mark.postgres(PostgresMachine.TestCase)
