"""The compliance bundle carries the programme's readiness at the end of its period."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from app.audit.bundle import build_bundle, parse_moment
from tests.conftest import add_person
from tests.integration.audit.test_audit_bundle import unzip

if TYPE_CHECKING:
    from pathlib import Path

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def readiness_csv(services: Services, folder: Path, end: str) -> dict[str, dict[str, str]]:
    data, _ = build_bundle(services, parse_moment("2000-01-01", "from"),
                           parse_moment(end, "to"))
    unzipped = unzip(data, folder)
    with (unzipped / "reports" / "programme_readiness.csv").open(newline="") as f:
        return {row["criterion"]: row for row in csv.DictReader(f)}


def test_the_bundle_holds_each_criterion_as_it_stood_at_the_period_end(
        services: Services, clock: FakeClock, tmp_path: Path) -> None:
    admin = add_person(services, "admin", "management")
    product = add_person(services, "member", "product")
    with services.ledger.acting_as(admin["id"]):
        services.programme.create_programme("Track 4")
        services.programme.sign_off("t42.confidence", "ready")
    middle = clock.advance(hours=1).isoformat()
    clock.advance(hours=1)
    with services.ledger.acting_as(product["id"]):
        services.programme.sign_off("t42.confidence", "ready too")
    services.projections.catch_up()

    then = readiness_csv(services, tmp_path / "then", middle)
    later = readiness_csv(services, tmp_path / "later", "2100-01-01T00:00:00+00:00")

    assert len(later) == 23
    assert then["t42.confidence"]["status"] == "partly"
    assert later["t42.confidence"]["status"] == "met"
    assert "(product)" in later["t42.confidence"]["evidence"]
    assert later["t41.inaugural-meeting"]["status"] == "not_met"
    assert later["t41.inaugural-meeting"]["missing"]
