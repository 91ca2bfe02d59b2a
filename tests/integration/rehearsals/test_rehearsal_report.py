"""The rehearsal report: a golden Markdown file for a realistic rehearsal, and a real PDF."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.conftest import bearer
from tests.support.rehearsals import STEPS, realistic

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

GOLDEN = Path(__file__).resolve().parents[2] / "support" / "golden" / "rehearsal_report.md"


def report(client: FlaskClient, person: dict[str, Any], rid: str, fmt: str) -> Any:
    response = client.get(f"/api/v1/rehearsals/{rid}/report?format={fmt}",
                          headers=bearer(person))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_the_markdown_report_of_a_realistic_rehearsal_matches_the_golden_file(
        services: Services, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
    rid = realistic(services, client, clock, member)
    adjustments = report(client, member, rid, "json").get_json()["adjustments"]
    item_id = adjustments[0]["becomes"].split()[-1]

    markdown = report(client, member, rid, "markdown").get_data(as_text=True).replace(
        item_id, "<action-item-id>")

    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(markdown, encoding="utf-8")
    assert markdown == GOLDEN.read_text(encoding="utf-8")


def test_the_pdf_report_opens_and_contains_every_step_name(
        services: Services, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
    from pypdf import PdfReader

    rid = realistic(services, client, clock, member)

    pdf = PdfReader(io.BytesIO(report(client, member, rid, "pdf").data))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)

    for name, _ in STEPS:
        assert name in text
    assert "DECISION AGAINST THE RECOMMENDATION" in text
    assert "Go/No-Go criteria validation" in text
