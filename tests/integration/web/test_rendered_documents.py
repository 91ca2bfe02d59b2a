"""Documents shown in pages are rendered Markdown, not source: the demo's minutes, runbooks,
review documents and rehearsal reports show headings, tables and bold as HTML, and the raw
Markdown stays a download."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from app.ccb import queries as ccb_queries
from app.demo import load_demo
from app.oncall import queries as oncall_queries
from app.rehearsals import queries as rehearsal_queries
from app.reviews import queries as review_queries
from tests.conftest import login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def section(html: str, element_id: str) -> str:
    """The HTML inside the element with ``id`` (up to the next card's end)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:section|div)>\s*(?:<|$)', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(1)


def assert_rendered(fragment: str) -> None:
    assert "|---|" not in fragment and "**" not in fragment
    assert not re.search(r"^#+ ", fragment, re.M)
    assert "<h2>" in fragment or "<h3>" in fragment


@pytest.fixture
def demo(client: FlaskClient, services: Services, admin: dict[str, Any]) -> Services:
    load_demo(services)
    services.projections.catch_up()
    login(client, admin)
    return services


def test_the_minutes_page_shows_rendered_minutes_and_keeps_the_download(
        client: FlaskClient, demo: Services) -> None:
    closed = [m for m in ccb_queries.list_meetings(demo.engine) if m["status"] == "closed"]
    assert closed
    meeting_id = closed[0]["id"]

    html = client.get(f"/meetings/{meeting_id}/minutes").get_data(as_text=True)
    download = client.get(f"/meetings/{meeting_id}/minutes.md")

    minutes = section(html, "minutes")
    assert_rendered(minutes)
    assert "<table>" in minutes and '<th scope="col">Name</th>' in minutes
    assert "<strong>Chair:</strong>" in minutes
    assert download.mimetype == "text/markdown" and "|---|" in download.get_data(as_text=True)


def test_a_runbook_page_shows_rendered_markdown_with_a_download(
        client: FlaskClient, demo: Services) -> None:
    book = oncall_queries.list_runbooks(demo.engine)[0]
    content = oncall_queries.get_runbook(demo.engine, book["id"])["content"]

    html = client.get(f"/oncall/runbooks/{book['id']}").get_data(as_text=True)
    download = client.get(f"/oncall/runbooks/{book['id']}/runbook.md")

    assert_rendered(section(html, "runbook-document"))
    assert download.mimetype == "text/markdown"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.get_data(as_text=True) == content


def test_a_review_document_is_rendered(client: FlaskClient, demo: Services) -> None:
    review = review_queries.list_reviews(demo.engine, status="finalised")[0]

    html = client.get(f"/reviews/{review['id']}?tab=document").get_data(as_text=True)

    document = section(html, "document")
    assert_rendered(document)
    assert "<h2>Post-Launch Review - " in document and "<li>" in document


def test_a_rehearsal_report_shows_no_markdown_source(client: FlaskClient,
                                                     demo: Services) -> None:
    rehearsal = rehearsal_queries.list_rehearsals(demo.engine)[0]

    html = client.get(f"/rehearsals/{rehearsal['id']}?tab=report").get_data(as_text=True)

    report = section(html, "report")
    assert "|---|" not in report and "**" not in report and "<table>" in report
