"""The recommendation cannot be Go while an issue of severity major or critical is unresolved."""

from __future__ import annotations

import pytest

from tests.unit.rehearsals.test_rehearsals import GOOD, passing_checks, planned


def run_with_issue(severity: str) -> object:
    r = planned(2)
    passing_checks(r)
    r.start_step(1)
    r.log_issue(1, severity, "migration lock wait", None)
    r.finish_step(1)
    r.start_step(2)
    r.finish_step(2)
    return r


@pytest.mark.parametrize("severity", ["major", "critical"])
def test_an_unresolved_major_or_critical_issue_makes_the_recommendation_no_go(
        severity: str) -> None:
    r = run_with_issue(severity)

    result = r.evaluate(GOOD, [])  # type: ignore[attr-defined]

    assert result["recommendation"] == "no_go"
    failing = [c for c in result["criteria"] if not c["passed"]]
    assert [c["key"] for c in failing] == ["unresolved_blocking_issues"]
    assert "#1" in failing[0]["label"]


def test_resolving_the_issue_lets_the_recommendation_be_go() -> None:
    r = run_with_issue("major")
    r.resolve_issue(1, "raised the lock timeout")  # type: ignore[attr-defined]

    result = r.evaluate(GOOD, [])  # type: ignore[attr-defined]

    assert result["recommendation"] == "go"
    assert all(c["key"] != "unresolved_blocking_issues" for c in result["criteria"])


def test_a_minor_issue_does_not_block_go() -> None:
    r = run_with_issue("minor")

    assert r.evaluate(GOOD, [])["recommendation"] == "go"  # type: ignore[attr-defined]
