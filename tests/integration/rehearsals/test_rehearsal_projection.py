"""The rehearsal read models are a pure function of the events: a rebuild reproduces them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections.rehearsals.projection import RehearsalProjection
from tests.support.rehearsals import realistic

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def snapshot(services: Services) -> dict[str, list[Any]]:
    with services.engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
                for t in RehearsalProjection.tables}


def test_a_rebuild_reproduces_every_rehearsal_table(
        services: Services, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
    realistic(services, client, clock, member)
    services.projections.catch_up()
    before = snapshot(services)

    services.projections.rebuild()

    assert snapshot(services) == before
    assert len(before["rm_rehearsal_steps"]) == 4
    assert len(before["rm_rehearsal_checks"]) == 4
