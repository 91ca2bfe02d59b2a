"""The main pages of the UI, for the browser accessibility tests and ``scripts/screenshots.py``.

Pages with an id in their address (a change, a meeting, a rehearsal, the person's profile) are
found by following the first matching link on a list page, so they work on any store holding
the demo data. Everything here drives a Playwright page; nothing imports the app.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "demo-password-123"

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

MAIN_PAGES: list[tuple[str, str]] = [
    ("home", "/"),
    ("changes", "/changes/"),
    ("change", "link:/changes/ /changes/" + UUID),
    ("change-new", "/changes/new"),
    ("boards", "/boards/"),
    ("board", "link:/boards/ /boards/" + UUID),
    ("meeting", "link:{board} /meetings/" + UUID),
    ("decision-log", "/decision-log"),
    ("calendar", "/change-calendar"),
    ("rehearsals", "/rehearsals/"),
    ("rehearsal", "link:/rehearsals/ /rehearsals/" + UUID),
    ("oncall", "/oncall/"),
    ("incidents", "/oncall/incidents"),
    ("action-items", "/action-items/"),
    ("reviews", "/reviews/"),
    ("programme", "/programme/"),
    ("audit", "/audit/"),
    ("health", "/health"),
    ("profile", "link:/ /people/" + UUID),
]
"""(name, address): an address ``link:<list page> <pattern>`` is the first link on the list
page whose path matches the pattern; ``{board}`` is the board page found before it."""

ADMIN_ONLY = {"health"}

NAV_ENTRIES = ["Change requests", "Rehearsals", "Boards", "People", "Action items & reviews",
               "On-call", "Programme", "Audit", "API"]
"""Every entry of the main navigation (the person's profile link and Sign out come after)."""


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form (and land on the home page)."""
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def first_link(page: Any, path: str, pattern: str) -> str:
    """The first link on ``path`` whose path matches ``pattern`` (fails when there is none)."""
    page.goto(path)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        if re.fullmatch(pattern, href.split("?")[0].split("#")[0]):
            return href.split("#")[0]
    raise AssertionError(f"no link matching {pattern} on {path}")


def resolve(page: Any, include_admin_only: bool = False) -> list[tuple[str, str]]:
    """Every main page as (name, path) for the signed-in person."""
    found: dict[str, str] = {}
    pages = []
    for name, address in MAIN_PAGES:
        if name in ADMIN_ONLY and not include_admin_only:
            continue
        if address.startswith("link:"):
            where, pattern = address.removeprefix("link:").split(" ", 1)
            address = first_link(page, where.format(**found), pattern)
        found[name] = address
        pages.append((name, address))
    return pages


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical"),
                   ) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0–2.2 A and AA rules) on the page; the violations of these impacts,
    each with its rule id, help text and the first offending elements."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def page_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))
