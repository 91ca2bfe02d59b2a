"""Input rules of the one schema layer (shared by forms, API and CLI)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.changes.schemas import ChangeRequestFormSchema, ChangeRequestInputSchema
from tests.conftest import valid_change


class TestChangeRequestInput:
    def test_a_form_systems_string_is_split_and_naive_times_are_utc(self) -> None:
        data = ChangeRequestFormSchema().load(valid_change(
            systems="billing-db, payments-api\nedge", planned_start="2026-04-01T10:00",
            planned_end="2026-04-01T11:00", board_id=""))

        assert data["systems"] == ["billing-db", "payments-api", "edge"]
        assert data["planned_start"].utcoffset().total_seconds() == 0
        assert data["board_id"] is None  # a blank optional field is absent

    @pytest.mark.parametrize(("override", "field"), [
        ({"title": "ab"}, "title"),
        ({"category": "urgent"}, "category"),
        ({"risk": "extreme"}, "risk"),
        ({"systems": []}, "systems"),
        ({"planned_start": "yesterday"}, "planned_start"),
        ({"planned_end": "2026-04-01T09:00:00+00:00"}, "planned_end"),
        ({"rollback_plan": ""}, "rollback_plan"),
        ({"unexpected": 1}, "unexpected"),
    ])
    def test_bad_input_names_the_field(self, override: dict, field: str) -> None:
        with pytest.raises(ValidationError) as info:
            ChangeRequestInputSchema().load(valid_change(**override))

        assert field in info.value.messages

    def test_the_api_refuses_systems_as_a_string(self) -> None:
        with pytest.raises(ValidationError) as info:
            ChangeRequestInputSchema().load(valid_change(systems="db"))

        assert "systems" in info.value.messages

    def test_a_standard_change_needs_no_rollback_plan(self) -> None:
        data = ChangeRequestInputSchema().load(valid_change(category="standard",
                                                            rollback_plan=""))

        assert data["rollback_plan"] == ""


def test_blank_required_form_fields_are_reported_as_missing() -> None:
    with pytest.raises(ValidationError) as info:
        ChangeRequestFormSchema().load(valid_change(title="  ", systems=""))

    assert info.value.messages["title"] == ["Missing data for required field."]
    assert info.value.messages["systems"] == ["Missing data for required field."]
