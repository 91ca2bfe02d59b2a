"""History values for people: lists as lists, booleans yes/no, None as a dash, codes as words,
ids of reference fields as linked names, event types as sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from flask import Response, g
from markupsafe import Markup

from web.messages import event_words
from web.references import readable, ref, resolve_placeholders

if TYPE_CHECKING:
    from flask import Flask


def shown(markup: Markup) -> str:
    """What a page showing ``markup`` sends: its reference placeholders resolved."""
    return resolve_placeholders(Response(str(markup))).get_data(as_text=True)


@pytest.mark.parametrize(("value", "key", "expected"), [
    (["ci", "db"], "systems", '<ul class="values"><li>ci</li><li>db</li></ul>'),
    (False, "emergency", "no"), (True, "practice", "yes"), (None, "reason", "—"),
    ([], "systems", "—"), ("in_progress", "status", "In progress"), ("no_go", "decision", "No-Go"),
    ("<b>x</b>", "title", "&lt;b&gt;x&lt;/b&gt;"),
])
def test_values_read_as_words(value: Any, key: str, expected: str) -> None:
    assert str(readable(value, key)) == expected


@pytest.mark.parametrize(("event_type", "expected"), [
    ("ItemAdded", "Item added to the agenda"), ("Submitted", "Change request submitted"),
    ("EmergencyApprovalGiven", "Emergency approval given"), ("Meeting.VoteCast", "Vote cast"),
])
def test_event_types_read_as_sentences(event_type: str, expected: str) -> None:
    assert event_words(event_type) == expected


def test_an_id_of_a_reference_field_is_its_linked_name(app: Flask,
                                                       admin: dict[str, Any]) -> None:
    with app.test_request_context("/"):
        g.user = {"id": admin["id"], "roles": ["admin"]}
        linked = shown(readable(admin["id"], "owner_id"))
        unknown = shown(ref("board", "00000000-0000-0000-0000-000000000009"))

    assert linked == f'<a href="/people/{admin["id"]}">Ada Admin</a>'
    assert unknown == "00000000-0000-0000-0000-000000000009"  # shown as it is, never invented


def test_a_person_is_linked_only_for_those_who_may_open_the_page(
        app: Flask, admin: dict[str, Any], member: dict[str, Any]) -> None:
    with app.test_request_context("/"):
        g.user = {"id": member["id"], "roles": ["member"]}
        other = shown(ref("person", admin["id"]))

    assert other == "Ada Admin"


def test_a_page_resolves_all_its_references_with_one_query_per_kind(
        app: Flask, admin: dict[str, Any], member: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app import references

    asked: list[dict[str, set[str]]] = []
    names_by_kind = references.names_by_kind

    def counted(engine: Any, wanted: dict[str, Any]) -> dict[str, dict[str, str]]:
        asked.append({kind: set(ids) for kind, ids in wanted.items()})
        return names_by_kind(engine, wanted)

    monkeypatch.setattr(references, "names_by_kind", counted)
    with app.test_request_context("/"):
        g.user = {"id": admin["id"], "roles": ["admin"]}
        page = Markup("").join(
            [ref("person", admin["id"]), ref("person", member["id"]), readable(admin["id"],
                                                                                 "owner_id"),
             ref("board", "00000000-0000-0000-0000-000000000009")] * 10)
        html = shown(page)

    assert len(asked) == 1  # every kind the page names, looked up together
    assert sorted(asked[0]) == ["board", "person"]
    assert asked[0]["person"] == {admin["id"], member["id"]}
    assert html.count(f'<a href="/people/{admin["id"]}">Ada Admin</a>') == 20
    assert html.count("00000000-0000-0000-0000-000000000009") == 10
