"""As-of views read the live read models' history: at any position they equal a replay.

Every read-model row carries the position it is valid from, and the versions later events
replaced are kept (``projections/history.py``); ``AsOfViews.versioned_at`` shows the tables as
they stood at a position through temporary views. Over the demo and a generated history
(meetings, votes, ratifications, rota changes, deleted shifts…), the view at each of many
positions holds exactly the rows a replay of the log up to that position writes — history
tables included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from app.audit.as_of import drop
from app.demo import load_demo
from app.generate import generate
from projections.history import PAST
from projections.tables import tracking
from tests.property.audit.test_audit_as_of import normal

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

    from app.bootstrap import Services


def rows(engine: Engine, tables: list[Table]) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {t.name: sorted(repr(tuple(normal(v) for v in r)) for r in conn.execute(select(t)))
                for t in tables}


def replayed_rows(services: Services, position: int, tables: list[Table]
                  ) -> dict[str, list[str]]:
    """The rows of ``tables`` in a fresh replay of the log up to ``position``."""
    replayed = services.as_of.build(position)
    try:
        return rows(replayed.engine, tables)
    finally:
        drop(replayed)


def test_the_view_at_every_sampled_position_equals_a_replay_to_it(services: Services) -> None:
    load_demo(services)
    generate(services, 3000, seed=11)
    services.projections.catch_up()
    head = services.ledger.recorder.max_notification_id()
    tables = [t for p in services.projections.projections for t in p.tables]
    assert all(PAST[t] in tables for t in tables if t in PAST)
    assert len([t for t in tables if t in PAST]) * 2 == len(tables)
    positions = sorted({1, 2, head // 7, head // 3, head // 2, head - 500, head - 17, head - 1})
    assert all(services.as_of.recorded_to(p) for p in positions)
    changed = 0
    for position in positions:
        expected = replayed_rows(services, position, tables)
        seen = rows(services.as_of.versioned_at(position), tables)
        assert seen == expected, position
        changed += sum(len(v) for k, v in seen.items() if k.endswith("_past"))
    assert changed > 0  # the sample holds replaced versions, not only inserted rows


def test_a_read_model_behind_only_by_events_it_ignores_still_serves_its_history(
        services: Services) -> None:
    load_demo(services)
    runner = services.projections
    runner.catch_up()
    head = services.ledger.recorder.max_notification_id()
    recorder = services.ledger.recorder
    # the projection whose last event is furthest from the head, and that event's position
    last = {p.name: recorder.select_notifications(start=1, limit=100_000, topics=p.topics)[-1].id
            for p in runner.projections}
    name = min(last, key=last.get)
    assert last[name] < head - 1
    with services.engine.begin() as conn:  # as a worker elsewhere leaves the tracking row
        conn.execute(update(tracking).where(tracking.c.name == name).values(position=last[name]))
    runner._none_between.clear()  # noqa: SLF001 - this process knows nothing of the log
    assert services.as_of.recorded_to(head - 1)

    with services.engine.begin() as conn:  # now its own last event is not applied
        conn.execute(update(tracking).where(tracking.c.name == name)
                     .values(position=last[name] - 1))
    assert not services.as_of.recorded_to(last[name])
    assert services.as_of.recorded_to(last[name] - 1)
