"""Every area's compliance report in the bundle: decision log, on-call schedule, incidents with
MTTA/MTTR, action items, rehearsal decisions and post-launch reviews, as CSV and in the PDF,
covered by SHA256SUMS and the bundle's own verifier."""

from __future__ import annotations

import csv
import subprocess
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from app.audit.bundle import build_bundle, parse_moment
from app.demo import load_demo
from app.reporting import ReportContext
from app.reviews.action_item_reports import action_item_rows
from tests.integration.audit.test_audit_bundle import unzip, verify

if TYPE_CHECKING:
    from pathlib import Path

    from app.bootstrap import Services
    from tests.conftest import FakeClock

AREA_REPORTS = ("decision_log", "board_membership", "oncall_schedule", "oncall_overrides",
                "incidents", "incident_metrics", "action_items", "rehearsal_decisions",
                "reviews")


@pytest.fixture
def demo(services: Services) -> Services:
    """The demo data of every area, projected."""
    load_demo(services)
    services.projections.catch_up()
    return services


def read_csv(folder: Path, name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (folder / "reports" / f"{name}.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_a_bundle_over_the_demo_holds_every_areas_report_with_rows_and_verifies(
        demo: Services, tmp_path: Path) -> None:
    data, manifest = build_bundle(demo, parse_moment("2000-01-01", "from"),
                                  parse_moment("2100-01-01", "to", end=True))
    folder = unzip(data, tmp_path / "bundle")

    result = verify(folder)
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                          capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert sums.returncode == 0, sums.stdout
    listed = (folder / "SHA256SUMS").read_text()
    columns = {r.name: r.columns for r in demo.reports}
    tables = {}
    for name in AREA_REPORTS:
        header, rows = read_csv(folder, name)
        assert header == columns[name], name
        assert rows, f"{name} has no rows"
        assert manifest["counts"]["reports"][name] == len(rows)
        assert f"  reports/{name}.csv\n" in listed
        tables[name] = rows
    assert "yes" in {r["quorum_met"] for r in tables["decision_log"]}
    assert all(r["decided_by_name"] for r in tables["decision_log"])
    assert all(r["present_names"] for r in tables["decision_log"] if r["quorum_met"] == "yes")
    assert all(r["primary"] and r["secondary"] for r in tables["oncall_schedule"])
    assert [r["change"] for r in tables["board_membership"]].count("joined") == 1
    assert all(r["reason"] for r in tables["oncall_overrides"])
    assert all(r["time_to_acknowledge_s"] and r["time_to_resolve_s"]
               for r in tables["incidents"])
    overall = tables["incident_metrics"][0]
    assert (overall["group_by"], overall["incidents"]) == ("all", str(len(tables["incidents"])))
    assert overall["mtta_s"] and overall["mttr_s"]
    assert {r["source_type"] for r in tables["action_items"]} >= {"drill", "rehearsal"}
    assert [r["decision"] for r in tables["rehearsal_decisions"]] == ["go", "no_go", "go"]
    assert {r["finalised"] for r in tables["reviews"]} <= {"yes", "no"}
    assert all(r["uptime_target"].startswith(">=") for r in tables["reviews"])
    text = "".join(page.extract_text() for page in PdfReader(folder / "reports/reports.pdf").pages)
    assert all(r.title[:30] in text.replace("\n", " ") for r in demo.reports)


def test_a_period_before_the_ledger_began_gives_every_report_its_header_and_no_rows(
        demo: Services, tmp_path: Path) -> None:
    data, manifest = build_bundle(demo, parse_moment("2020-01-01", "from"),
                                  parse_moment("2020-12-31", "to", end=True))
    folder = unzip(data, tmp_path / "bundle")

    tables = {name: read_csv(folder, name) for name in AREA_REPORTS}

    assert {name: len(rows) for name, (_, rows) in tables.items()} == {
        **dict.fromkeys(AREA_REPORTS, 0), "incident_metrics": 1}
    assert tables["incident_metrics"][1] == [{
        "group_by": "all", "group": "all", "incidents": "0", "acknowledged": "0",
        "resolved": "0", "mtta_s": "", "mttr_s": "", "ack_within_target": "0"}]
    assert all(header for header, _ in tables.values())
    assert manifest["counts"]["reports"]["decision_log"] == 0


def test_action_items_raised_before_the_period_appear_only_while_still_open(
        demo: Services, clock: FakeClock) -> None:
    end = datetime(2100, 1, 1, tzinfo=timezone.utc)
    everything = ReportContext(engine=demo.engine, start=datetime(2000, 1, 1, tzinfo=timezone.utc),
                               end=end, events=[])
    after_the_demo = ReportContext(engine=demo.engine, start=clock.advance(seconds=1), end=end,
                                   events=[])

    all_rows = action_item_rows(everything)
    later_rows = action_item_rows(after_the_demo)

    assert {r["status"] for r in all_rows} >= {"open", "completed"}
    assert {r["id"] for r in later_rows} == {r["id"] for r in all_rows
                                             if r["status"] != "completed"}
    assert all(r["overdue_at_period_end"] == "yes" for r in later_rows)


def test_period_reports_read_only_the_period_and_miss_nothing_of_it(demo: Services) -> None:
    """The population, approval evidence and review reports ask the database for the period's
    rows (a day's bundle at 1M read 120,000 change requests before): for several periods,
    they hold exactly the rows of a filter over every row."""
    from app.changes.queries import list_change_requests
    from app.changes.reports import _evidence, _population
    from app.generate import generate
    from app.reviews.reports import review_rows

    generate(demo, 1500, seed=8)
    demo.projections.catch_up()
    engine = demo.engine
    every = list_change_requests(engine, limit=10**9)["items"]
    days = sorted({c["submitted_at"] for c in every})
    wide = ReportContext(engine=engine, start=days[0], end=days[-1], events=[])
    all_reviews = review_rows(wide)
    held = []
    for start, end in [(days[0], days[len(days) // 3]), (days[len(days) // 2], days[-1]),
                       (days[5], days[5])]:
        ctx = ReportContext(engine=engine, start=start, end=end, events=[])
        expected = sorted((c for c in every if start <= c["submitted_at"] <= end),
                          key=lambda c: (c["submitted_at"], c["id"]))
        assert [r["id"] for r in _population(ctx)] == [c["id"] for c in expected]
        held.append(review_rows(ctx))
        assert held[-1] == [r for r in all_reviews
                            if start.date().isoformat() <= r["scheduled_for"]
                            <= end.date().isoformat()]
    assert held[0] and len(held[0]) + len(held[1]) <= len(all_reviews)
    events = [{"aggregate_id": c["id"], "topic": "domain.changes:ChangeRequest.Submitted",
               "data": {}, "type": "Submitted", "position": i, "recorded_at": "",
               "actor_id": c["requester_id"], "on_behalf_of": None, "reason": None}
              for i, c in enumerate(every[:40])]
    events.append({**events[0], "aggregate_id": "no-such-change"})
    rows = _evidence(ReportContext(engine=engine, start=days[0], end=days[-1], events=events))
    assert [r["change_id"] for r in rows] == [c["id"] for c in every[:40]]
    assert {r["requester"] for r in rows} and all(r["approval"] == "no" for r in rows)
