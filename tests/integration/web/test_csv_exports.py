"""Every CSV the product emits goes through the one writer (``app/csv_export.py``), which never
lets a cell start a spreadsheet formula: the API's and the pages' downloads and the audit
bundle's reports are all read back cell by cell."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.audit.bundle import build_bundle, parse_moment
from app.ccb.exports import decision_log_csv
from app.csv_export import FORMULA_STARTS, csv_text, safe_cell
from app.demo import load_demo
from tests.conftest import bearer, login, valid_change

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

ROOT = Path(__file__).resolve().parents[3]
PAYLOAD = "=cmd|' /C calc'!A0"


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe(text: str, where: str) -> None:
    bad = [c for c in cells(text) if c.startswith(FORMULA_STARTS)]
    assert not bad, f"{where}: {bad[:3]}"


class TestTheWriter:
    @pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", PAYLOAD])
    def test_a_formula_cell_is_prefixed_with_an_apostrophe(self, value: str) -> None:
        assert safe_cell(value) == "'" + value
        assert cells(csv_text(["a"], [{"a": value}]))[1] == "'" + value

    def test_plain_text_and_numbers_are_unchanged(self) -> None:
        assert cells(csv_text(["a", "b", "c"], [["fine", -3, "a=b"]]))[3:] == ["fine", "-3", "a=b"]

    def test_no_module_but_the_writer_builds_csv_itself(self) -> None:
        writers = [str(p.relative_to(ROOT)) for area in ("app", "web", "projections", "domain")
                   for p in (ROOT / area).rglob("*.py")
                   if re.search(r"csv\.(writer|DictWriter)\(", p.read_text())]
        assert writers == ["app/csv_export.py"]

    def test_the_decision_log_neutralises_a_formula_in_a_reason_or_title(self) -> None:
        from datetime import datetime, timezone

        decision = {"decided_at": datetime(2026, 3, 2, tzinfo=timezone.utc), "board_id": "b",
                    "meeting_id": None, "change_request_id": "c",
                    "change_request_title": PAYLOAD, "kind": "vote", "outcome": "approved",
                    "reason": "+" + PAYLOAD, "tally": {}, "quorum": {}, "evidence": {},
                    "tie_break": None, "casting_vote": None, "emergency": False,
                    "ratification": None, "unratified": False, "decided_by": "@me"}

        assert_safe(decision_log_csv([decision]), "decision log")


def test_every_csv_download_and_bundle_report_neutralises_formula_cells(
        client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    created = client.post("/api/v1/change-requests", json=valid_change(title=PAYLOAD),
                          headers=bearer(admin))
    assert created.status_code == 201, created.get_json()
    load_demo(services)
    raised = client.post("/api/v1/action-items", json={
        "title": "@SUM(1+1)*cmd", "owner_id": admin["id"], "description": PAYLOAD},
        headers=bearer(admin))
    assert raised.status_code == 201
    login(client, admin)
    downloads = {path: client.get(path, headers=bearer(admin)) for path in (
        "/api/v1/action-items/export.csv", "/action-items/export.csv",
        "/decision-log.csv", "/api/v1/decision-log?format=csv")}
    data, _ = build_bundle(services, parse_moment("2026-01-01", "from"),
                           parse_moment("2026-12-31", "to", end=True))

    for path, response in downloads.items():
        assert response.status_code == 200 and response.mimetype == "text/csv", path
        assert_safe(response.get_data(as_text=True), path)
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        reports = [n for n in bundle.namelist() if n.endswith(".csv")]
        texts = {n: bundle.read(n).decode() for n in reports}
    assert {"reports/change_requests.csv", "reports/action_items.csv"} <= set(reports)
    assert any(PAYLOAD in t for t in texts.values())
    for name, text in texts.items():
        assert_safe(text, name)
