"""The on-call demo has what the issue asks for, and rebuilding reproduces every on-call row."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.demo import load_demo
from app.oncall import queries as q
from projections.oncall.projection import (
    IncidentProjection,
    RotationProjection,
    RunbookProjection,
)

if TYPE_CHECKING:
    from app.bootstrap import Services


def snapshot(services: Services) -> dict[str, list[Any]]:
    tables = [t for p in (RotationProjection, IncidentProjection, RunbookProjection)
              for t in p.tables]
    with services.engine.connect() as conn:
        return {t.name: sorted((tuple(map(repr, r)) for r in conn.execute(select(t))))
                for t in tables}


def test_the_demo_has_a_planned_rotation_runbooks_a_drill_and_an_escalated_incident(
        services: Services) -> None:
    load_demo(services)
    engine = services.engine

    [rotation] = q.list_rotations(engine)
    incidents = q.list_incidents(engine)
    drill = next(i for i in incidents if i["practice"])
    real = q.get_incident(engine, next(i["id"] for i in incidents if not i["practice"]))

    assert len(rotation["roster"]) == 5 and len(q.list_shifts(engine, rotation["id"])) >= 6
    assert len(q.list_runbooks(engine)) == 6
    assert drill["status"] == "resolved" and drill["debrief"]["action_item_ids"]
    assert [(t["trigger"], t["level"]) for t in real["timeline"] if t["type"] == "escalated"] == [
        ("not_acknowledged", "L2")]
    [cover] = q.list_covers(engine, rotation["id"])
    assert cover["ends_at"] - cover["starts_at"] == timedelta(hours=15)
    during = q.oncall_at(engine, rotation["id"], cover["starts_at"])
    assert during["primary_id"] == cover["person_id"] != cover["replaced_id"]


def test_rebuild_reproduces_the_oncall_read_models_exactly(services: Services) -> None:
    load_demo(services)
    before = snapshot(services)

    services.projections.rebuild()

    assert snapshot(services) == before
