"""The rehearsal read model copies which steps an abort stopped from the event; an abort stored
by release 0.1 (without that list) rebuilds the same rows through the domain's own rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domain.rehearsals.rehearsal import Rehearsal
from projections.rehearsals.tables import rehearsal_steps, rehearsals
from tests.support.legacy import forget_recorded_facts
from tests.support.rehearsals import plan, post, preflight

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def rows(services: Services) -> list[tuple[Any, ...]]:
    with services.engine.connect() as conn:
        return [tuple(r) for t in (rehearsals, rehearsal_steps)
                for r in conn.execute(select(t).order_by(*t.primary_key))]


def test_an_abort_records_the_steps_it_stops_and_old_aborts_rebuild_the_same(
        client: FlaskClient, services: Services, member: dict[str, Any], clock: Any) -> None:
    rid = plan(client, member, member, steps=[("Deploy", 10), ("Verify", 5), ("Tidy", 5)])
    preflight(client, member, rid)
    post(client, member, f"/{rid}/steps/1/start")
    clock.advance(minutes=3)
    post(client, member, f"/{rid}/steps/1/finish")
    post(client, member, f"/{rid}/steps/2/start")
    clock.advance(minutes=7)
    post(client, member, f"/{rid}/abort", {"reason": "staging database is down"})
    services.projections.catch_up()

    aborted = services.ledger.history(Rehearsal, rid)[-1]
    aggregate = services.ledger.load(Rehearsal, rid)
    assert aborted["type"] == "Aborted" and aborted["data"]["aborted_steps"] == [2]
    with services.engine.connect() as conn:
        shown = [(r.status, r.actual_seconds) for r in conn.execute(
            select(rehearsal_steps).order_by(rehearsal_steps.c.number))]
    assert [s for s, _ in shown] == [s["status"] for s in aggregate.steps]
    assert shown == [("finished", 180), ("aborted", 420), ("pending", None)]
    recorded = rows(services)

    assert forget_recorded_facts(services, {Rehearsal.Aborted: ("aborted_steps",)}) == 1
    services.projections.rebuild()

    assert rows(services) == recorded
    again = services.ledger.load(Rehearsal, rid)
    assert again.steps == aggregate.steps
