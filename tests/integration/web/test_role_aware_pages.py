"""Role-aware pages: on the demo data an auditor's pages hold no write form (only sign-out, the
read-only audit checks and GET filters), a member sees no admin form, a requester is not offered
the approval of their own emergency change, and a refused form keeps its input and says why."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from app.demo import load_demo
from tests.conftest import add_person, csrf_token, event_count, login, valid_change
from tests.integration.web.test_security_headers import walk

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>", re.IGNORECASE)
ALLOWED = ("/auth/logout", "data-read-only", "data-own-account")
"""Sign-out, the audit page's verify buttons (they read; they record nothing) and the forms of
the person's own account on their own page (password, their API tokens)."""


def write_forms(html: str) -> list[str]:
    """The POST forms of a page other than sign-out and read-only checks."""
    return [tag for tag in POST_FORM.findall(html) if not any(a in tag for a in ALLOWED)]


def test_an_auditor_sees_no_write_form_on_any_page_of_the_demo(
        app: Flask, client: FlaskClient, services: Services) -> None:
    load_demo(services)
    auditor = add_person(services, "auditor", "management", name="Otto Auditor")
    login(client, auditor)

    pages = walk(client, app)

    html = {p: r.get_data(as_text=True) for p, r in pages.items()
            if r.mimetype == "text/html" and r.status_code == 200}
    assert len(html) > 40
    assert any(p.startswith("/changes/") for p in html) and any("/meetings/" in p for p in html)
    found = {p: write_forms(page) for p, page in html.items()
             if write_forms(page) and p != "/auth/login"}
    assert found == {}
    assert not any("roles ['auditor']" in page for page in html.values())


def test_a_member_sees_no_admin_form(app: Flask, client: FlaskClient,
                                     services: Services) -> None:
    load_demo(services)
    member = add_person(services, "member", name="Mo Member")
    login(client, member)

    rotation = client.get("/oncall/rotations/new").get_data(as_text=True)
    boards = client.get("/boards/").get_data(as_text=True)
    calendar = client.get("/change-calendar").get_data(as_text=True)
    oncall = client.get("/oncall/").get_data(as_text=True)
    changes = client.get("/changes/").get_data(as_text=True)

    assert write_forms(rotation) == []
    assert "Only an administrator can do this." in rotation
    assert "New rotation" not in oncall
    assert write_forms(boards) == [] and write_forms(calendar) == []
    assert "Submit a change request" in changes  # what a member may do is still offered


def test_a_requester_is_not_offered_the_approval_of_their_own_emergency_change(
        client: FlaskClient, services: Services) -> None:
    from tests.support.ccb import make_ccb

    ccb = make_ccb(services, requester_on_board=True)
    login(client, ccb.requester)
    form = {**{k: v for k, v in valid_change(category="emergency").items() if k != "systems"},
            "systems": "billing-db", "csrf_token": csrf_token(client, "/changes/new")}
    assert client.post("/changes/new", data=form).status_code == 302

    own = client.get(f"/boards/{ccb.board_id}").get_data(as_text=True)
    login(client, ccb.chair)
    chair = client.get(f"/boards/{ccb.board_id}").get_data(as_text=True)

    assert "approve-emergency" not in own and ">Approve</button>" not in own
    assert ">Approve</button>" in chair


def test_a_refused_post_says_why_in_words_not_codes(
        client: FlaskClient, services: Services) -> None:
    auditor = add_person(services, "auditor", "management", name="Otto Auditor")
    login(client, auditor)
    token = csrf_token(client, "/changes/")
    form = {**{k: v for k, v in valid_change(title="Rotate the vault keys").items()
               if k != "systems"}, "systems": "vault", "csrf_token": token}
    before = event_count(services)

    response = client.post("/changes/new", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your role is read-only (auditor)" in html
    assert write_forms(html) == []  # the form is not offered again to someone who may not use it
    assert "roles [" not in html and "read_only_role" not in html
    assert event_count(services) == before


def test_the_error_page_says_why_in_words_without_printing_roles(
        client: FlaskClient, services: Services) -> None:
    member = add_person(services, "member", name="Mo Member")
    login(client, member)

    response = client.post("/audit/read-models",
                           data={"csrf_token": csrf_token(client, "/audit/")})

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You may not do this" in html and "Your role does not allow this." in html
    assert "['auditor', 'admin']" not in html
