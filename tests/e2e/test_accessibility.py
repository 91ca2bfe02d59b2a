"""Every main page, on the demo data, for a member, an administrator and the auditor, at a
desktop width (1366 px) and a phone width (390 px): axe-core finds no serious or critical
WCAG 2.2 A/AA violation, the page never scrolls sideways, and at 390 px every entry of the
navigation is reachable through the Menu toggle.

One store, one server and one browser for the whole module (the pages only read).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from app.bootstrap import bootstrap
from app.config import load_settings
from app.demo import load_demo
from domain.base import set_default_clock, system_clock
from tests.conftest import valid_change
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.support.main_pages import (
    AXE_JS,
    NAV_ENTRIES,
    axe_violations,
    page_overflow,
    resolve,
    sign_in,
)
from web import create_app
from web.references import CLOSE, OPEN

if TYPE_CHECKING:
    from collections.abc import Iterator

ADMIN = ("ada.admin@example.org", "admin-password-123")
PEOPLE = {"member": ("alice@example.org",), "admin": ADMIN, "auditor": ("frank@example.org",)}
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
LONG_TITLE = "Rotate" + "x" * 194


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a SQLite store holding the demo, an admin and a change with a 200-character
    unbroken title."""
    set_default_clock(system_clock)
    tmp = tmp_path_factory.mktemp("a11y")
    services = bootstrap(load_settings(database_url=f"sqlite:///{tmp / 'govledger.sqlite3'}",
                                       instance_path=tmp / "instance", password_cost="fast"))
    load_demo(services)
    with services.ledger.as_system():
        services.people.register_person(name="Ada Admin", email=ADMIN[0],
                                        function="management", role="admin",
                                        password=ADMIN[1])
    alice = services.people.person_id_by_email("alice@example.org")
    with services.ledger.acting_as(alice):
        start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=40)
        long = services.changes.submit_change_request(**valid_change(
            title=LONG_TITLE, category="standard", risk="low", planned_start=start,
            planned_end=start + timedelta(hours=1)))
    services.projections.catch_up()
    server = make_server("127.0.0.1", 0, create_app({"TESTING": True}, services=services),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "long_change": long["id"]}
    server.shutdown()
    thread.join(timeout=5)
    services.close()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    if not AXE_JS.exists():
        pytest.fail("axe-core is not installed: run `bash scripts/install-test-deps.sh`")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, site: dict[str, Any], who: str, width: str) -> Any:
    """A new signed-in page for ``who`` at ``width`` (axe is injected despite the CSP)."""
    w, h = WIDTHS[width]
    context = browser.new_context(base_url=site["url"], bypass_csp=True,
                                  viewport={"width": w, "height": h})
    page = context.new_page()
    sign_in(page, *PEOPLE[who])
    return page


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_every_main_page_has_no_serious_or_critical_axe_violation_and_no_sideways_scroll(
        browser: Any, site: dict[str, Any], who: str, width: str) -> None:
    page = open_page(browser, site, who, width)
    pages = resolve(page, include_admin_only=who == "admin")
    problems = {}
    for name, path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path)
        found = [f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}"
                 for v in axe_violations(page)]
        if (extra := page_overflow(page)) > 0:
            found.append(f"the page is {extra} px wider than the viewport")
        if OPEN in (html := page.content()) or CLOSE in html:  # every reference resolved
            found.append("a reference placeholder was left unresolved")
        if found:
            problems[f"{name} {path}"] = found
    page.context.close()

    assert len(pages) >= 18
    assert problems == {}


def test_at_390_px_every_nav_entry_is_reachable_through_the_menu(
        browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site, "member", "phone")
    nav = page.locator("nav[aria-label=Main]")
    assert not nav.is_visible(), "the menu starts closed on a phone"
    for entry in [*NAV_ENTRIES, "Alice Martin"]:
        page.goto("/")
        page.click("label[for=nav-toggle]")
        link = page.locator("header a", has_text=entry).first
        assert link.is_visible(), entry
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, entry
        href = link.get_attribute("href")
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith(href), (entry, page.url)
        assert page_overflow(page) <= 0, entry
        if entry != "API":
            current = page.locator("header a[aria-current=page]")
            assert current.count() == 1 and entry in current.inner_text(), entry
    page.goto("/")
    page.click("label[for=nav-toggle]")
    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/auth/login**")
    page.context.close()


def test_a_200_character_unbroken_title_does_not_widen_the_page(
        browser: Any, site: dict[str, Any]) -> None:
    for width in WIDTHS:
        page = open_page(browser, site, "member", width)
        for path in ("/changes/", f"/changes/{site['long_change']}", "/"):
            page.goto(path)
            assert LONG_TITLE in page.content(), path
            assert page_overflow(page) <= 0, (width, path)
        page.context.close()


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_main_content(
        browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site, "member", "desktop")
    page.goto("/changes/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent.trim(), "
                            "document.activeElement.getBoundingClientRect().top]")
    assert focused[0] == "Skip to main content" and focused[1] >= 0
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.context.close()


def test_on_a_phone_a_person_chooses_their_time_zone_and_pages_show_and_read_times_in_it(
        browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site, "member", "phone")
    sign_in(page, "bob@example.org")
    page.click("label[for=nav-toggle]")
    page.click("header a:has-text('Bob Chen')")
    created = page.locator("section.card table time").first
    assert created.inner_text().endswith(" UTC")
    utc = created.get_attribute("datetime")

    page.fill("#time_zone", "Asia/Tokyo")
    page.click("button:has-text('Save time zone')")

    assert "Times are now shown and read in Asia/Tokyo." in page.inner_text("main")
    shown = page.locator("section.card table time").first
    assert shown.get_attribute("datetime") == utc
    tokyo = datetime.fromisoformat(utc).astimezone(timezone(timedelta(hours=9)))
    assert shown.inner_text() == tokyo.strftime("%Y-%m-%d %H:%M JST")
    assert not axe_violations(page)
    page.goto("/changes/new")
    assert page.locator("label[for=planned_start]").inner_text() == "Planned start (Asia/Tokyo)"
    page.context.close()
