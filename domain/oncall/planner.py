"""The fair rotation planner: a pure function from roster, horizon and unavailability to a plan.

Rules (DOMAIN.md, T4.3): over the planned horizon the primary counts of any two people differ
by at most one, and so do the secondary counts; primary ≠ secondary in a week; with 3+ people
nobody is primary two weeks running (also across the week before the horizon); nobody is
scheduled in a week they declared unavailable. The planner either returns a plan or explains
why none exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

SEARCH_LIMIT = 200_000
"""Backtracking nodes explored before the planner gives up (never reached on real rosters)."""


@dataclass(frozen=True)
class Plan:
    """One (primary, secondary) pair per week, in week order."""

    weeks: list[tuple[str, str]]


@dataclass(frozen=True)
class Refusal:
    """Why no plan satisfies the rules; ``week`` is the week index at fault when known."""

    code: str
    message: str
    week: int | None = None
    details: dict[str, object] = field(default_factory=dict)


def plan_rotation(roster: Sequence[str], weeks: int,
                  unavailable: dict[str, set[int]] | None = None,
                  previous_primary: str | None = None) -> Plan | Refusal:
    """Plan ``weeks`` weeks for ``roster`` or explain why the fairness rules cannot be met."""
    unavailable = unavailable or {}
    people = list(dict.fromkeys(roster))
    refusal = _precheck(people, weeks, unavailable)
    if refusal is not None:
        return refusal
    search = _Search(people, weeks, unavailable, previous_primary)
    result = search.run()
    if result is not None:
        return Plan(weeks=result)
    if search.exhausted:
        return Refusal("plan_search_limit", "the planner gave up before finding a fair plan; "
                       "shorten the horizon or relax unavailability")
    return Refusal("plan_infeasible", "no plan gives everyone an equal share (±1) of primary "
                   "and secondary weeks with the declared unavailability", details={
                       "roster_size": len(people), "weeks": weeks})


def _precheck(people: list[str], weeks: int,
              unavailable: dict[str, set[int]]) -> Refusal | None:
    if weeks < 1:
        return Refusal("plan_empty_horizon", "the horizon must be at least one week")
    if len(people) < 2:
        return Refusal("roster_too_small", "a rotation needs at least two people (primary and "
                       "secondary)", details={"roster_size": len(people)})
    for week in range(weeks):
        available = [p for p in people if week not in unavailable.get(p, set())]
        if len(available) < 2:
            return Refusal("too_few_available", f"week {week + 1} has only {len(available)} "
                           "available people; a primary and a secondary are needed", week=week,
                           details={"available": available})
    return None


def fair_bounds(people: int, weeks: int) -> tuple[int, int]:
    """The smallest and largest count per role that keeps everyone within one of each other."""
    return weeks // people, -(-weeks // people)


class _Search:
    """Depth-first search, least-loaded people first, pruned by the fairness bounds."""

    def __init__(self, people: list[str], weeks: int, unavailable: dict[str, set[int]],
                 previous_primary: str | None) -> None:
        self.people, self.weeks, self.unavailable = people, weeks, unavailable
        self.previous = previous_primary
        self.low, self.high = fair_bounds(len(people), weeks)
        self.count = {"p": dict.fromkeys(people, 0), "s": dict.fromkeys(people, 0)}
        self.nodes, self.exhausted = 0, False
        self.chosen: list[tuple[str, str]] = []

    def run(self) -> list[tuple[str, str]] | None:
        return list(self.chosen) if self._place(0) else None

    def _feasible(self, role: str, remaining: int) -> bool:
        counts = self.count[role]
        # Everyone must reach the lower bound; at most (weeks mod n) may reach the upper one.
        need = sum(max(0, self.low - c) for c in counts.values())
        over = sum(1 for c in counts.values() if c > self.low)
        extra_allowed = self.weeks - self.low * len(self.people)
        return need <= remaining and over <= extra_allowed

    def _place(self, week: int) -> bool:
        if week == self.weeks:
            return True
        self.nodes += 1
        if self.nodes > SEARCH_LIMIT:
            self.exhausted = True
            return False
        for primary, secondary in self._candidates(week):
            self._assign(primary, secondary, 1)
            self.chosen.append((primary, secondary))
            remaining = self.weeks - week - 1
            if (self._feasible("p", remaining) and self._feasible("s", remaining)
                    and self._place(week + 1)):
                return True
            self.chosen.pop()
            self._assign(primary, secondary, -1)
            if self.exhausted:
                return False
        return False

    def _assign(self, primary: str, secondary: str, delta: int) -> None:
        self.count["p"][primary] += delta
        self.count["s"][secondary] += delta

    def _candidates(self, week: int) -> list[tuple[str, str]]:
        available = [p for p in self.people if week not in self.unavailable.get(p, set())]
        last = self.chosen[-1][0] if self.chosen else self.previous
        pairs = []
        for primary in available:
            if self.count["p"][primary] >= self.high:
                continue
            if len(self.people) >= 3 and primary == last:
                continue
            for secondary in available:
                if secondary != primary and self.count["s"][secondary] < self.high:
                    pairs.append((primary, secondary))
        order = {p: i for i, p in enumerate(self.people)}
        return sorted(pairs, key=lambda ps: (
            self.count["p"][ps[0]] + self.count["s"][ps[0]], self.count["p"][ps[0]],
            self.count["s"][ps[1]], self.count["p"][ps[1]] + self.count["s"][ps[1]],
            ps[1] == last, order[ps[0]], order[ps[1]]))


def violations(roster: Sequence[str], plan: Sequence[tuple[str, str]],
               unavailable: dict[str, set[int]] | None = None,
               previous_primary: str | None = None) -> list[str]:
    """Every fairness rule a plan breaks (empty when the plan is fair); used by tests too."""
    unavailable = unavailable or {}
    people = list(dict.fromkeys(roster))
    problems = []
    for role, index in (("primary", 0), ("secondary", 1)):
        counts = [sum(1 for week in plan if week[index] == p) for p in people]
        if counts and max(counts) - min(counts) > 1:
            problems.append(f"{role} counts differ by more than one: {counts}")
    last = previous_primary
    for i, (primary, secondary) in enumerate(plan):
        if primary == secondary:
            problems.append(f"week {i + 1}: primary is also secondary")
        if len(people) >= 3 and primary == last:
            problems.append(f"week {i + 1}: {primary} is primary two weeks running")
        for person in (primary, secondary):
            if i in unavailable.get(person, set()):
                problems.append(f"week {i + 1}: {person} is unavailable")
            if person not in people:
                problems.append(f"week {i + 1}: {person} is not on the roster")
        last = primary
    return problems
