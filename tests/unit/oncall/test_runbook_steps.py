"""Ordered playbook steps extracted from a runbook's Markdown (pure function, no store)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.oncall.seeds import RUNBOOKS, runbook_markdown
from domain.oncall.runbook_steps import (
    DEFAULT_STEP_MINUTES,
    extract_steps,
    parse_duration,
)

PROCEDURE = """# Release 2.4 deployment

Read this first.

1. Not a step: the introduction's list

## Steps

1. Freeze merges and tag the release (10 min)
2. Run database migrations (~1 h)
   on the primary only
   1. nested detail, not a step
3) Smoke tests
- a bullet, not a step

```
1. code, not a step
```

## Notes

1. Not a step either
"""


def test_only_the_items_under_a_steps_heading_are_steps_with_their_durations() -> None:
    assert extract_steps(PROCEDURE) == [
        {"name": "Freeze merges and tag the release", "planned_minutes": 10},
        {"name": "Run database migrations on the primary only", "planned_minutes": 60},
        {"name": "Smoke tests", "planned_minutes": DEFAULT_STEP_MINUTES}]


def test_without_a_procedure_heading_every_top_level_item_is_a_step_named_with_its_section(
        ) -> None:
    rollback = next(b for b in RUNBOOKS if b["category"] == "deployment")

    steps = extract_steps(runbook_markdown(rollback))

    assert [s["name"] for s in steps] == [
        "How to roll back: Redeploy the previous image tag from the release log.",
        "How to roll back: Run the down-migration only if the runbook of the release says it "
        "is safe.",
        "How to roll back: Announce the rollback in the incident channel and record it on the "
        "incident."]
    assert {s["planned_minutes"] for s in steps} == {15}


def test_every_seeded_runbook_gives_one_step_per_numbered_procedure_item() -> None:
    for book in RUNBOOKS:
        steps = extract_steps(runbook_markdown(book))

        assert len(steps) == sum(len(items) for heading, items in book["sections"].items()
                                 if not heading.lower().startswith("when"))
        assert all(1 <= len(s["name"]) <= 200 for s in steps)


def test_criteria_are_not_steps_even_under_a_procedure_heading() -> None:
    text = ("# Release steps\n\n## Deploy\n\n1. Drain (5 min)\n2. Deploy\n\n"
            "## Go/No-Go criteria\n\n1. Error rate below 2%\n2. p95 below 500 ms\n\n"
            "## When to abort\n\n1. A migration fails\n")

    assert [s["name"] for s in extract_steps(text)] == ["Drain", "Deploy"]


def test_a_single_section_keeps_the_plain_names() -> None:
    assert extract_steps("# Deploy\n\n1. Drain (5 min)\n2. Deploy\n") == [
        {"name": "Drain", "planned_minutes": 5}, {"name": "Deploy", "planned_minutes": 15}]


def test_text_without_numbered_items_has_no_steps() -> None:
    assert extract_steps("# Notes\n\n- bullet\n\nSome text 1. not an item\n") == []


def test_durations_are_read_in_minutes_or_hours_and_clamped() -> None:
    assert parse_duration("Migrate (10 min)") == ("Migrate", 10)
    assert parse_duration("Migrate (approx. 2 hours) now") == ("Migrate now", 120)
    assert parse_duration("Migrate (0 min)") == ("Migrate", 1)
    assert parse_duration("Migrate (9999 minutes)") == ("Migrate", 1440)
    assert parse_duration("Migrate (tbd)", 7) == ("Migrate (tbd)", 7)


NAMES = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"),
                              whitelist_characters=" -,:"), min_size=1, max_size=60).filter(
    lambda s: s.strip() and not s.lstrip()[:1].isdigit())


@given(st.lists(st.tuples(NAMES, st.one_of(st.none(), st.integers(1, 1440))),
                min_size=1, max_size=30))
def test_a_written_procedure_is_read_back_in_order(steps: list[tuple[str, int | None]]) -> None:
    lines = ["# Playbook", "", "## Procedure", ""] + [
        f"{n}. {name}" + (f" ({minutes} min)" if minutes else "")
        for n, (name, minutes) in enumerate(steps, 1)]

    extracted = extract_steps("\n".join(lines))

    assert extracted == [{"name": " ".join(name.split()), "planned_minutes": minutes or 15}
                         for name, minutes in steps]


@given(st.text(max_size=2000))
def test_any_text_gives_valid_steps(text: str) -> None:
    for step in extract_steps(text):
        assert 1 <= len(step["name"]) <= 200 and step["name"] == step["name"].strip()
        assert 1 <= step["planned_minutes"] <= 1440
