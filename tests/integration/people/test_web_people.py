"""The people page: an admin adds someone (blank password: API-only); refusals keep the input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def add(client: FlaskClient, **fields: Any) -> Any:
    return client.post("/people/", data={
        "name": "Nina New", "email": "nina@example.org", "function": "engineering",
        "role": "member", "password": "", **fields, "csrf_token": csrf_token(client, "/people/")})


def test_an_admin_adds_an_api_only_person_when_the_password_is_left_blank(
        client: FlaskClient, admin: dict[str, Any]) -> None:
    login(client, admin)

    response = add(client)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added Nina New. Their API token (shown once): glt_" in page
    assert "nina@example.org" in page


def test_a_taken_email_is_refused_on_the_page_with_the_input_kept(
        client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    login(client, admin)
    add(client)
    before = event_count(services)

    response = add(client, name="Nina Again")

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already belongs to someone" in html and 'value="Nina Again"' in html
    assert event_count(services) == before


def test_a_member_asks_for_a_new_api_token(client: FlaskClient,
                                           member: dict[str, Any]) -> None:
    login(client, member)

    response = client.post("/people/me/tokens", data={
        "label": "laptop", "csrf_token": csrf_token(client, "/people/")},
        follow_redirects=True)

    assert "Your new API token (copy it now, it is shown once): glt_" in (
        response.get_data(as_text=True))
