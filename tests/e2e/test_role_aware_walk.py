"""An auditor walks every main page of the demo in a real browser — each nav entry, then the
first detail link of each list — and finds no write form; a member is offered no admin form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from app.demo import load_demo
from tests.conftest import add_person

if TYPE_CHECKING:
    from app.bootstrap import Services

pytestmark = [pytest.mark.browser]

WRITE_FORMS = ("form[method=post i]:not([action$='/auth/logout']):not([data-read-only])"
               ":not([data-own-account])")
"""A POST form other than sign-out, the audit page's read-only checks and one's own account."""
LISTS = ("/launches/", "/reviews/", "/action-items/policies", "/oncall/incidents",
         "/oncall/runbooks", "/oncall/trainings", "/change-calendar", "/decision-log",
         "/audit/sample")
"""The lists one level below the nav entries."""


def sign_in(page: Any, person: dict[str, Any]) -> None:
    page.goto("/auth/login")
    page.fill("#email", person["email"])
    page.fill("#password", person["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def nav_links(page: Any) -> list[str]:
    return page.eval_on_selector_all("header nav a", "links => links.map(a => a.href)")


def first_detail_link(page: Any, within: str = "") -> str | None:
    """The first link inside the page's list tables (a record's detail page)."""
    links = page.eval_on_selector_all("main table a[href]", "links => links.map(a => a.href)")
    return next((href for href in links if "?" not in href and within in href and not
                 href.endswith((".csv", ".json", ".md", ".ics", ".pdf"))), None)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_auditor_walks_every_main_page_and_finds_no_write_form(
        page: Any, services: Services) -> None:
    load_demo(services)
    auditor = add_person(services, "auditor", "management", name="Otto Auditor")
    sign_in(page, auditor)

    visited: dict[str, int] = {}
    lists = [*nav_links(page), *(page.url.rstrip("/") + path for path in LISTS)]
    for href in lists:
        page.goto(href)
        visited[page.url] = page.locator(WRITE_FORMS).count()
        details = {first_detail_link(page)}
        if "/oncall/" in href:
            details.add(first_detail_link(page, "/rotations/"))
        for detail in details - {None}:
            page.goto(detail)
            visited[page.url] = page.locator(WRITE_FORMS).count()

    assert len(visited) >= 24
    assert {url: n for url, n in visited.items() if n} == {}
    assert "roles ['auditor']" not in page.content()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_member_is_not_offered_the_admin_forms(page: Any, services: Services) -> None:
    load_demo(services)
    member = add_person(services, "member", name="Mo Member")
    sign_in(page, member)

    page.goto("/oncall/")
    assert page.locator("text=New rotation").count() == 0
    page.goto("/oncall/rotations/new")
    assert page.locator(WRITE_FORMS).count() == 0
    assert page.locator("#why-not").inner_text() == "Only an administrator can do this."
    page.goto("/boards/")
    assert page.locator("form[method=post i] >> text=Create").count() == 0
    page.goto("/changes/new")
    assert page.locator(WRITE_FORMS).count() == 1  # what a member may do stays offered
