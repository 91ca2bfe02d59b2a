"""What a quorum lacks, in words, from the same snapshot the decision is judged on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.ccb.board import DEFAULT_CHARTER
from domain.ccb.meeting import quorum_shortfall, quorum_snapshot, timebox_ran_out

MEMBERS = {"e": "engineering", "p": "product", "s": "security", "o": "operations"}


def shortfall(present: dict[str, str], proxies: list[dict[str, str]] | None = None,
              **charter: object) -> tuple[bool, list[str]]:
    snapshot = quorum_snapshot(present, proxies or [], MEMBERS, {**DEFAULT_CHARTER, **charter})
    return snapshot["met"], quorum_shortfall(snapshot, MEMBERS)


def test_met_quorum_lacks_nothing() -> None:
    assert shortfall({"e": "engineering", "p": "product", "s": "security"}) == (True, [])


def test_too_few_members_and_functions_name_what_absent_members_could_bring() -> None:
    met, missing = shortfall({"e": "engineering"})

    assert not met
    assert missing == [
        "needs 2 more members (1 of the 3 required are counted)",
        "needs 2 more functions among those counted (1 of 3: engineering); no operations or "
        "product or security representative present"]


def test_enough_people_of_too_few_functions_says_only_the_functions() -> None:
    members = {"e": "engineering", "e2": "engineering", "p": "product"}
    snapshot = quorum_snapshot(members, [], {**MEMBERS, "e2": "engineering"}, DEFAULT_CHARTER)

    assert quorum_shortfall(snapshot, {**MEMBERS, "e2": "engineering"}) == [
        "needs 1 more function among those counted (2 of 3: engineering, product); no "
        "operations or security representative present"]


def test_a_counted_proxy_closes_the_gap_when_the_charter_counts_proxies() -> None:
    present = {"e": "engineering", "p": "product"}
    proxy = [{"grantor_id": "o", "holder_id": "e", "status": "active"}]

    assert shortfall(present, proxy)[0] is False
    assert shortfall(present, proxy, proxies_count_toward_quorum=True) == (True, [])


def test_the_timebox_runs_out_at_its_minute() -> None:
    opened = datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)
    limit = timedelta(minutes=int(DEFAULT_CHARTER["timebox_minutes"]))

    assert not timebox_ran_out(opened, DEFAULT_CHARTER, opened + limit - timedelta(seconds=1))
    assert timebox_ran_out(opened, DEFAULT_CHARTER, opened + limit)
    assert not timebox_ran_out(None, DEFAULT_CHARTER, opened + limit)
