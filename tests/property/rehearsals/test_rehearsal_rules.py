"""Properties of rehearsal arithmetic and of the Go/No-Go recommendation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st

from domain.rehearsals.rehearsal import (
    DEFAULT_CRITERIA,
    PREFLIGHT_KINDS,
    Rehearsal,
    as_percent,
    estimate_accuracy,
    evaluate_criteria,
    parity_fraction,
    parity_passes,
    recommend,
    variance_fraction,
    variance_seconds,
)

OWNER = "11111111-1111-1111-1111-111111111111"
counts = st.integers(min_value=1, max_value=10_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
decimals = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False,
                       allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False,
                       allow_infinity=False)


@given(counts)
@example((9, 10))
@example((90, 100))
@example((901, 1000))
def test_parity_is_exact_and_passes_only_strictly_above_ninety(pair: tuple[int, int]) -> None:
    """Parity % is matching/compared with no float rounding, so 9 of 10 (exactly 90%) fails the
    "> 90%" rule while 901 of 1000 passes; the shown percentage is that value rounded."""
    matching, compared = pair

    exact = parity_fraction(matching, compared)

    assert exact * compared == matching * 100
    assert parity_passes(matching, compared) == (matching * 10 > compared * 9)
    assert abs(as_percent(exact) - Decimal(exact.numerator) / exact.denominator) <= Decimal(
        "0.005")


@given(st.integers(min_value=1, max_value=600), st.integers(min_value=0, max_value=100_000))
def test_variance_is_actual_minus_planned_and_its_percentage_of_the_plan(
        planned: int, actual: int) -> None:
    """Variance adds back to the actual duration, has the sign of an overrun, and as a share of
    the plan is exact (an on-time step is 0%, double the plan is +100%)."""
    variance = variance_seconds(planned, actual)

    assert planned * 60 + variance == actual
    assert (variance > 0) == (actual > planned * 60)
    assert variance_fraction(planned, actual) == Fraction(variance * 100, planned * 60)
    assert variance_fraction(planned, planned * 120) == 100


@given(st.lists(st.tuples(st.integers(1, 240), st.integers(0, 30_000)), min_size=1,
                max_size=12))
def test_estimate_accuracy_is_100_when_on_plan_and_never_negative(
        pairs: list[tuple[int, int]]) -> None:
    """Accuracy is 100% exactly when every step took its plan, otherwise lower, never below 0."""
    accuracy = estimate_accuracy(pairs)
    on_plan = estimate_accuracy([(p, p * 60) for p, _ in pairs])

    assert on_plan == 100
    assert accuracy is not None and 0 <= accuracy <= 100
    assert (accuracy == 100) == all(a == p * 60 for p, a in pairs)


def measured_strategy() -> st.SearchStrategy[dict[str, Decimal]]:
    boundary = st.sampled_from
    return st.fixed_dictionaries({
        "error_rate": st.one_of(percents, boundary([Decimal("2.0"), Decimal("1.999"),
                                                    Decimal("2.001")])),
        "p95_latency_ms": st.one_of(decimals, boundary([Decimal("500"), Decimal("499.999"),
                                                        Decimal("500.001")])),
        "uptime": st.one_of(percents, boundary([Decimal("99.0"), Decimal("99.001"),
                                                Decimal("98.999")])),
    })


@given(measured_strategy(),
       st.fixed_dictionaries({k: st.sampled_from([True, False, None]) for k in PREFLIGHT_KINDS}),
       st.sampled_from([True, False, None]))
@example({"error_rate": Decimal("2.0"), "p95_latency_ms": Decimal("1"), "uptime": Decimal("100")},
         dict.fromkeys(PREFLIGHT_KINDS, True), True)
@example({"error_rate": Decimal("0"), "p95_latency_ms": Decimal("500"), "uptime": Decimal("100")},
         dict.fromkeys(PREFLIGHT_KINDS, True), True)
@example({"error_rate": Decimal("0"), "p95_latency_ms": Decimal("1"), "uptime": Decimal("99.0")},
         dict.fromkeys(PREFLIGHT_KINDS, True), True)
def test_recommendation_is_go_exactly_when_every_check_passes(
        measured: dict[str, Decimal], preflight: dict[str, bool | None],
        rollback: bool | None) -> None:
    """Go iff error rate < 2, p95 < 500 ms, uptime > 99, every pre-flight check passed and the
    rollback test passed; the guide's boundary values themselves (2.0%, 500 ms, 99.0%) fail, and
    a check never run counts as a failure."""
    criteria = evaluate_criteria([dict(c) for c in DEFAULT_CRITERIA], measured)

    expected = (measured["error_rate"] < 2 and measured["p95_latency_ms"] < 500
                and measured["uptime"] > 99 and all(v is True for v in preflight.values())
                and rollback is True)

    assert (recommend(criteria, preflight, rollback) == "go") == expected


@given(measured_strategy(), st.integers(0, 20).flatmap(
    lambda n: st.tuples(st.integers(0, n), st.just(max(n, 1)))), st.booleans(), st.booleans())
@example({"error_rate": Decimal("1"), "p95_latency_ms": Decimal("1"), "uptime": Decimal("100")},
         (9, 10), True, True)
def test_the_aggregate_recommends_go_exactly_when_all_pass_including_parity(
        measured: dict[str, Decimal], parity: tuple[int, int], other_checks: bool,
        rollback: bool) -> None:
    """Through the aggregate: parity of exactly 90% (9 of 10) is a No-Go like any other failed
    check, and the recorded evaluation agrees with the pure rule."""
    r = Rehearsal.plan(release_version="1.0", environment="staging", playbook="p",
                       planned_by=OWNER,
                       steps=[{"name": "deploy", "planned_minutes": 5, "owner_id": OWNER}])
    matching, compared = parity
    r.check_parity([{"name": f"i{n}", "expected": "1", "actual": "1" if n < matching else "0"}
                    for n in range(compared)])
    for kind in PREFLIGHT_KINDS[:3]:
        r.record_preflight(kind, other_checks, "evidence")
    r.start_step(1)
    r.finish_step(1)
    r.record_rollback_test(True, rollback, 10, "")

    result = r.evaluate(measured, [])

    expected = (measured["error_rate"] < 2 and measured["p95_latency_ms"] < 500
                and measured["uptime"] > 99 and matching * 10 > compared * 9 and other_checks
                and rollback)
    assert (result["recommendation"] == "go") == expected
