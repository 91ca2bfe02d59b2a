"""Raising action items from any area lands them in the one tracker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from domain.errors import InvalidInput
from projections.reviews.tables import action_items
from tests.conftest import event_count

if TYPE_CHECKING:
    from app.bootstrap import Services


def test_a_raised_item_is_tracked_with_its_source_and_default_due_date(
        services: Services, member: dict[str, Any], clock: Any) -> None:
    with services.ledger.acting_as(member["id"]):
        result = services.actions.create_action_item(
            title="Add a pool-size alert", owner_id=member["id"], priority="P1",
            source_type="manual", source_id="INC-4711 in the old tracker")
    services.projections.catch_up()

    with services.engine.connect() as conn:
        row = conn.execute(select(action_items)).one()
    assert row.id == result["id"] and row.status == "open"
    assert row.due.isoformat() == "2026-03-06"  # the clock says Monday 2 March 2026
    assert (row.source_type, row.raised_by) == ("manual", member["id"])


def test_an_unknown_owner_is_refused_and_nothing_is_appended(
        services: Services, member: dict[str, Any]) -> None:
    before = event_count(services)

    with services.ledger.acting_as(member["id"]), pytest.raises(InvalidInput) as refused:
        services.actions.create_action_item(title="x", owner_id="not-a-person")

    assert refused.value.status == 422 and "owner_id" in refused.value.details
    assert event_count(services) == before


@pytest.mark.parametrize("source_type", ["incident", "meeting", "review", "rehearsal", "drill"])
def test_a_source_record_that_does_not_exist_is_refused_naming_source_id(
        services: Services, member: dict[str, Any], source_type: str) -> None:
    before = event_count(services)

    with services.ledger.acting_as(member["id"]), pytest.raises(InvalidInput) as refused:
        services.actions.create_action_item(title="Fix it", owner_id=member["id"],
                                            source_type=source_type,
                                            source_id="00000000-0000-0000-0000-00000000abcd")

    assert list(refused.value.details) == ["source_id"]
    assert event_count(services) == before


@pytest.mark.parametrize(("fields", "code"), [
    ({"title": "  "}, "invalid_action_item"),
    ({"title": "x" * 201}, "invalid_action_item"),
    ({"source_id": "s" * 101}, "invalid_action_item"),
    ({"priority": "P3"}, "invalid_priority"),
])
def test_items_other_areas_raise_are_checked_before_anything_is_appended(
        services: Services, member: dict[str, Any], fields: dict[str, Any], code: str) -> None:
    from domain.errors import DomainError

    before = event_count(services)

    with services.ledger.acting_as(member["id"]), pytest.raises(DomainError) as refused:
        services.actions.raise_action_item(**{"title": "Fine", "owner_id": member["id"],
                                             **fields})

    assert refused.value.code == code
    assert event_count(services) == before


def test_my_items_through_the_api(client: Any, services: Services,
                                  member: dict[str, Any]) -> None:
    from tests.conftest import add_person, bearer

    other = add_person(services)
    with services.ledger.acting_as(member["id"]):
        services.actions.create_action_item(title="Mine", owner_id=member["id"])
        services.actions.create_action_item(title="Theirs", owner_id=other["id"])

    page = client.get("/api/v1/action-items?owner_id=me", headers=bearer(member)).get_json()

    assert [i["title"] for i in page["items"]] == ["Mine"]
