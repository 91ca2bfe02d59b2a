"""The filters' choices (the decision log's boards, the action items' owners) are read once per
position of their read model: a board or a person added later is offered on the next view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import add_person, login
from tests.integration.ccb.test_emergency_board import second_board
from tests.support.ccb import make_ccb

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_a_board_added_after_a_view_is_offered_on_the_next(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.requester)
    first = client.get("/decision-log").get_data(as_text=True)
    again = client.get("/decision-log").get_data(as_text=True)
    assert ">Data CCB<" not in first and ">Data CCB<" not in again
    other = second_board(services, ccb)
    shown = client.get("/decision-log").get_data(as_text=True)
    assert f'value="{other}"' in shown and ">Data CCB<" in shown


def test_a_person_added_after_a_view_is_an_owner_to_filter_by_on_the_next(
        client: FlaskClient, services: Services) -> None:
    viewer = add_person(services, "member", name="Vera Viewer")
    login(client, viewer)
    assert "Olga Owner" not in client.get("/action-items/").get_data(as_text=True)
    assert "Olga Owner" not in client.get("/action-items/").get_data(as_text=True)
    olga = add_person(services, "member", name="Olga Owner")
    shown = client.get("/action-items/").get_data(as_text=True)
    assert f'<option value="{olga["id"]}" >Olga Owner</option>' in shown
