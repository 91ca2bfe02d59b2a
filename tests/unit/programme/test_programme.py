"""The programme aggregate's rules: prerequisites (known, acyclic, blocking a start), activity
lifecycle, sign-offs only on judgement criteria, once per person, and the sign-off rule."""

from __future__ import annotations

import pytest

from domain.errors import NotFound
from domain.programme.guide import ACTIVITIES, CRITERIA, CRITERION_IDS
from domain.programme.programme import (
    ActivityNotPlanned,
    ActivityNotStarted,
    AlreadySignedOff,
    InvalidPrerequisite,
    NotASignOffCriterion,
    PrerequisiteNotMet,
    Programme,
    sign_off_status,
    unmet_prerequisites,
)


@pytest.fixture
def programme() -> Programme:
    return Programme.create("Track 4")


class TestTheGuide:
    def test_the_guides_tables_add_up_to_its_realistic_44_hours(self) -> None:
        per_track = {t: sum(a["timebox_hours"] for a in ACTIVITIES if a["track"] == t)
                     for t in ("T4.1", "T4.2", "T4.3", "T4.4")}

        assert per_track == {"T4.1": 7, "T4.2": 12, "T4.3": 9, "T4.4": 16}
        assert len(CRITERIA) == 23

    def test_every_seeded_prerequisite_names_an_activity_or_a_criterion(self) -> None:
        ids = {a["id"] for a in ACTIVITIES} | CRITERION_IDS

        assert all(p in ids for a in ACTIVITIES for p in a["prerequisites"])


class TestStart:
    def test_an_activity_whose_prerequisites_are_incomplete_is_refused_naming_them(
            self, programme: Programme) -> None:
        with pytest.raises(PrerequisiteNotMet) as refused:
            programme.start_activity("t42-dry-run", met_criteria=())

        assert refused.value.details["prerequisites"] == ["t42-staging", "t42-planning"]
        assert programme.activity("t42-dry-run")["status"] == "planned"

    def test_completing_the_prerequisites_unblocks_the_start(self, programme: Programme) -> None:
        for step in ("t42-staging", "t42-planning"):
            programme.start_activity(step, met_criteria=())
            programme.complete_activity(step)

        programme.start_activity("t42-dry-run", met_criteria=())

        assert programme.activity("t42-dry-run")["status"] == "in_progress"

    def test_a_criterion_prerequisite_needs_the_criterion_met(self, programme: Programme) -> None:
        with pytest.raises(PrerequisiteNotMet):
            programme.start_activity("t43-practice", met_criteria={"t41.decision-log"})

        programme.start_activity("t43-practice", met_criteria={"t43.staffed"})

        assert programme.activity("t43-practice")["status"] == "in_progress"

    def test_an_activity_starts_once_and_completes_only_when_started(
            self, programme: Programme) -> None:
        with pytest.raises(ActivityNotStarted):
            programme.complete_activity("t41-scheduling")
        programme.start_activity("t41-scheduling", met_criteria=())

        with pytest.raises(ActivityNotPlanned):
            programme.start_activity("t41-scheduling", met_criteria=())

    def test_an_unknown_activity_is_not_found(self, programme: Programme) -> None:
        with pytest.raises(NotFound):
            programme.start_activity("t9-nothing", met_criteria=())


class TestEdit:
    def test_a_prerequisite_that_would_make_a_cycle_is_refused(
            self, programme: Programme) -> None:
        with pytest.raises(InvalidPrerequisite):
            programme.edit_activity("t42-staging", {"prerequisites": ["t42-runbook-updates"]})
        with pytest.raises(InvalidPrerequisite):
            programme.edit_activity("t42-staging", {"prerequisites": ["t42-staging"]})
        with pytest.raises(InvalidPrerequisite):
            programme.edit_activity("t42-staging", {"prerequisites": ["nope"]})

    def test_an_edit_records_only_what_changed(self, programme: Programme) -> None:
        programme.edit_activity("t42-staging", {"timebox_hours": 3, "owner_id": "p-1"})

        (event,) = [e for e in programme.collect_events() if type(e).__name__ == "ActivityEdited"]
        assert event.changes == {"owner_id": "p-1"}


class TestSignOff:
    def test_only_judgement_criteria_are_signed_off_once_per_person(
            self, programme: Programme) -> None:
        with pytest.raises(NotASignOffCriterion):
            programme.sign_off("t43.practice", "p-1", "engineering", "")
        programme.sign_off("t42.confidence", "p-1", "engineering", "")

        with pytest.raises(AlreadySignedOff):
            programme.sign_off("t42.confidence", "p-1", "engineering", "")

    def test_two_functions_meet_one_is_partly_none_is_not_met(self) -> None:
        assert sign_off_status([]) == "not_met"
        assert sign_off_status(["engineering", "engineering"]) == "partly"
        assert sign_off_status(["engineering", "product"]) == "met"


def test_unmet_prerequisites_lists_incomplete_activities_and_unmet_criteria() -> None:
    activities = {"a": {"status": "completed"}, "b": {"status": "in_progress"}}

    assert unmet_prerequisites(["a", "b", "c.x"], activities, {"c.y"}) == ["b", "c.x"]
