"""Properties of the fair rotation planner over random rosters, horizons and unavailability."""

from __future__ import annotations

from itertools import permutations, product

from hypothesis import given
from hypothesis import strategies as st

from domain.oncall.planner import Plan, Refusal, plan_rotation, violations

NAMES = ["ana", "ben", "cai", "dev", "eli", "fay"]


@st.composite
def problems(draw: st.DrawFn, max_people: int = 6, max_weeks: int = 8) -> dict:
    """A roster, a horizon, some unavailable (person, week) pairs and last week's primary."""
    roster = NAMES[:draw(st.integers(1, max_people))]
    weeks = draw(st.integers(1, max_weeks))
    unavailable: dict[str, set[int]] = {}
    for person in roster:
        off = draw(st.sets(st.integers(0, weeks - 1), max_size=weeks))
        if off:
            unavailable[person] = off
    previous = draw(st.none() | st.sampled_from(roster))
    return {"roster": roster, "weeks": weeks, "unavailable": unavailable,
            "previous_primary": previous}


def brute_force_exists(problem: dict) -> bool:
    """Whether any assignment at all satisfies every rule (exhaustive; small cases only)."""
    pairs = list(permutations(problem["roster"], 2))
    for plan in product(pairs, repeat=problem["weeks"]):
        if not violations(problem["roster"], plan, problem["unavailable"],
                          problem["previous_primary"]):
            return True
    return False


@given(problems())
def test_every_returned_plan_satisfies_every_fairness_rule(problem: dict) -> None:
    """Whatever the roster and unavailability, a plan the planner returns is fair: equal shares
    (±1) per role, primary ≠ secondary, no back-to-back primary with 3+ people, nobody
    scheduled while unavailable."""
    result = plan_rotation(**problem)

    if isinstance(result, Plan):
        assert len(result.weeks) == problem["weeks"]
        assert violations(problem["roster"], result.weeks, problem["unavailable"],
                          problem["previous_primary"]) == []
    else:
        assert isinstance(result, Refusal) and result.message


@given(problems(max_people=4, max_weeks=4))
def test_the_planner_refuses_only_when_no_valid_plan_exists(problem: dict) -> None:
    """On small cases an exhaustive search confirms each refusal: the planner never says
    'impossible' when a fair plan exists, and never finds one when none does."""
    result = plan_rotation(**problem)

    assert isinstance(result, Plan) == brute_force_exists(problem)


@given(st.integers(2, 6), st.integers(4, 12))
def test_without_unavailability_a_roster_of_two_or_more_is_always_planned(
        people: int, weeks: int) -> None:
    """A team with nobody away always gets a plan (the common case must never fail)."""
    result = plan_rotation(NAMES[:people], weeks)

    assert isinstance(result, Plan)
