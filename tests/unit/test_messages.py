"""Messages for people: marshmallow's wording rewritten per field, rule codes as sentences,
status codes as words."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.changes.schemas import ChangeRequestFormSchema
from app.oncall.schemas import RotationFormSchema
from domain.people.person import may_write
from web.forms import messages
from web.messages import field_message, rule_message, words


def errors_of(schema: object, data: dict[str, object]) -> dict[str, object]:
    with pytest.raises(ValidationError) as info:
        schema.load(data)  # type: ignore[attr-defined]
    return messages(info.value, schema)  # type: ignore[arg-type]


def test_a_missing_title_asks_for_a_title() -> None:
    found = errors_of(ChangeRequestFormSchema(), {"description": "d"})

    assert found["title"] == ["Enter a title."]
    assert found["category"] == ["Choose a category."]


def test_a_one_person_roster_asks_for_two_people_and_a_bad_time_shows_the_form() -> None:
    found = errors_of(RotationFormSchema(), {"name": "Core", "roster": "only-one",
                                             "handover_time": "25:99"})

    assert found["roster"] == {0: ["Choose a person from the list."]}
    assert found["timezone"] == ["Enter a time zone."]
    assert found["handover_time"] == ["Enter a time as HH:MM, e.g. 09:30."]


def test_a_roster_of_one_valid_person_asks_for_two_people() -> None:
    found = errors_of(RotationFormSchema(),
                      {"name": "Core", "roster": "00000000-0000-0000-0000-000000000001"})

    assert found["roster"] == ["Add at least two people to the roster."]


def test_no_library_wording_is_left() -> None:
    found = errors_of(ChangeRequestFormSchema(), {"title": "ab", "risk": "extreme"})

    text = str(found)
    assert "Missing data" not in text and "Length must" not in text
    assert "Must be one of" not in text
    assert found["risk"][0].startswith("Choose one of: ")


@pytest.mark.parametrize(("message", "expected"), [
    ("Not a valid UUID.", "Choose a board from the list."),
    ("Not a valid integer.", "Enter a whole number for the board."),
    ("Must be greater than or equal to 1.", "Enter a number at least 1 for the board."),
    ("something custom", "Something custom."),
])
def test_field_messages(message: str, expected: str) -> None:
    assert field_message("board_id", None, message) == expected


def test_rule_codes_are_sentences_from_the_catalogue_or_the_rules_own_words() -> None:
    assert rule_message("read_only_role", "auditors ... roles ['auditor']").startswith(
        "Your role is read-only")
    assert rule_message("requester_cannot_vote") == \
        "You requested this change, so you cannot vote on it."
    assert rule_message("some_new_rule", "the widget is frozen") == "The widget is frozen."


@pytest.mark.parametrize(("code", "expected"), [
    ("in_progress", "In progress"), ("no_go", "No-Go"), ("go", "Go"), ("approved", "Approved"),
    ("emergency", "Emergency"), (None, "—"), ("P1", "P1"), ("Rotate the keys", "Rotate the keys"),
])
def test_words(code: str | None, expected: str) -> None:
    assert words(code) == expected


@pytest.mark.parametrize(("roles", "required", "allowed"), [
    (["member"], (), True), (["auditor"], (), False), (["member", "auditor"], (), False),
    ([], (), False), (["member"], ("admin",), False), (["admin"], ("admin",), True),
])
def test_the_one_role_rule(roles: list[str], required: tuple[str, ...], allowed: bool) -> None:
    assert may_write(roles, required) is allowed


def test_a_role_refusal_names_the_administrator_only_when_the_command_is_admin_only() -> None:
    assert rule_message("role_required", "this needs the role admin",
                        {"required": ["admin"]}) == "Only an administrator can do this."
    assert rule_message("role_required", "", {"required": ["auditor", "admin"]}) == \
        "Your role does not allow this."
