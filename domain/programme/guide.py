"""The team guide's Track 4 programme as data: activities, success criteria and risks.

Seeded into a programme when it is created (``Programme.create``); after that the programme's
events are the truth (admins edit owners, timeboxes and prerequisites as events). Activity ids
look like ``t41-charter-review``; criterion ids like ``t41.inaugural-meeting`` — a prerequisite
names either.
"""

from __future__ import annotations

from typing import Any

TRACKS: dict[str, str] = {
    "T4.1": "Change Control Board (CCB) Kickoff",
    "T4.2": "Release Rehearsal & Dry Run",
    "T4.3": "On-Call Rotation Setup",
    "T4.4": "Post-Launch Review Process",
}

GUIDE_ESTIMATE: dict[str, Any] = {"original_hours": "17-22", "realistic_hours": 44}
"""The guide's own estimate-vs-reality lesson: the first estimate, and its realistic total."""


def _activity(track: str, activity_id: str, name: str, owner: str, function: str,
              hours: float, prerequisites: tuple[str, ...] = (),
              conditions: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": activity_id, "track": track, "name": name, "owner_label": owner,
            "owner_function": function, "owner_id": None, "timebox_hours": hours,
            "prerequisites": list(prerequisites), "conditions": list(conditions)}


ACTIVITIES: list[dict[str, Any]] = [
    _activity("T4.1", "t41-charter-review", "CCB Charter Review", "Engineering Manager",
              "management", 2, conditions=("docs/CHANGE_CONTROL_BOARD.md",)),
    _activity("T4.1", "t41-scheduling", "Inaugural Meeting Scheduling", "Product Owner",
              "product", 1, conditions=("Team calendar availability",)),
    _activity("T4.1", "t41-first-meeting", "First CCB Meeting", "Engineering Lead (Chair)",
              "engineering", 2, ("t41-scheduling",), ("Change requests prepared",)),
    _activity("T4.1", "t41-minutes", "Meeting Minutes Documentation", "Engineering Team",
              "engineering", 1, ("t41-first-meeting",), ("docs/templates/CCB_MINUTES.md",)),
    _activity("T4.1", "t41-decision-log", "Decision Log Setup", "DevOps Lead", "devops", 1,
              conditions=("Version control system",)),
    _activity("T4.2", "t42-staging", "Staging Environment Setup", "DevOps Lead", "devops", 3,
              conditions=("Production-like data",)),
    _activity("T4.2", "t42-planning", "Rehearsal Planning", "Engineering Lead", "engineering",
              2, conditions=("docs/RELEASE_RUNBOOK.md",)),
    _activity("T4.2", "t42-dry-run", "Dry Run Execution", "Full Engineering Team",
              "engineering", 3, ("t42-staging", "t42-planning"),
              ("Staging ready, runbook prepared",)),
    _activity("T4.2", "t42-lessons", "Lessons Learned Review", "Product Owner + Engineering",
              "product", 2, ("t42-dry-run",), ("Dry run completed",)),
    _activity("T4.2", "t42-runbook-updates", "Runbook Updates", "Engineering Team",
              "engineering", 2, ("t42-lessons",), ("Lessons learned documented",)),
    _activity("T4.3", "t43-tool", "On-Call Tool Setup", "DevOps Lead", "devops", 2,
              conditions=("PagerDuty/Opsgenie account",)),
    _activity("T4.3", "t43-schedule", "Rotation Schedule Creation", "Engineering Manager",
              "management", 1, conditions=("Team availability",)),
    _activity("T4.3", "t43-runbook-review", "Runbook Review", "Engineering Team", "engineering",
              2, conditions=("docs/INCIDENT_RESPONSE.md",)),
    _activity("T4.3", "t43-training", "On-Call Training", "Engineering Lead", "engineering", 3,
              ("t43-runbook-review",), ("Runbooks prepared",)),
    _activity("T4.3", "t43-practice", "Practice Incident", "Full Team", "engineering", 1,
              ("t43.staffed",), ("On-call staffed",)),
    _activity("T4.4", "t44-template", "Review Template Creation", "Product Owner", "product", 1,
              conditions=("Key metrics defined",)),
    _activity("T4.4", "t44-daily", "Daily Review (Week 1)", "Engineering Lead", "engineering",
              5, conditions=("Production launched",)),
    _activity("T4.4", "t44-weekly", "Weekly Review (Month 1)", "Full Team", "engineering", 8,
              ("t44.daily-reviews",), ("Daily reviews complete",)),
    _activity("T4.4", "t44-monthly", "Monthly Review Setup", "Product Owner", "product", 2,
              conditions=("Retrospective template",)),
]
"""The guide's four owner/timebox tables (T4.1 7 h, T4.2 12 h, T4.3 9 h, T4.4 16 h: 44 h)."""


def _criterion(track: str, criterion_id: str, title: str,
               kind: str = "evidence") -> dict[str, str]:
    return {"id": criterion_id, "track": track, "title": title, "kind": kind}


CRITERIA: list[dict[str, str]] = [
    _criterion("T4.1", "t41.inaugural-meeting", "Inaugural CCB meeting conducted and documented"),
    _criterion("T4.1", "t41.biweekly-schedule", "Bi-weekly recurring schedule established"),
    _criterion("T4.1", "t41.three-reviewed", "At least 3 change requests reviewed"),
    _criterion("T4.1", "t41.decision-log", "Decision log operational"),
    _criterion("T4.1", "t41.quorum-voting", "Quorum and voting procedures tested"),
    _criterion("T4.2", "t42.parity", "Staging environment matches production (>90% parity)"),
    _criterion("T4.2", "t42.rehearsal", "Full deployment rehearsal completed without critical "
               "blockers"),
    _criterion("T4.2", "t42.rollback", "Rollback procedure validated"),
    _criterion("T4.2", "t42.report", "Rehearsal report documented"),
    _criterion("T4.2", "t42.runbook-updated", "Release runbook updated based on learnings"),
    _criterion("T4.2", "t42.confidence", "Team confident in production deployment", "sign_off"),
    _criterion("T4.3", "t43.staffed", "On-call rotation staffed for next 4+ weeks"),
    _criterion("T4.3", "t43.escalation", "Escalation path documented and communicated"),
    _criterion("T4.3", "t43.runbooks", "All runbooks reviewed and validated"),
    _criterion("T4.3", "t43.trained", "On-call team trained on procedures"),
    _criterion("T4.3", "t43.practice", "Practice incident completed successfully"),
    _criterion("T4.3", "t43.alerting", "On-call tool configured with alerting"),
    _criterion("T4.4", "t44.template", "Post-launch review template created"),
    _criterion("T4.4", "t44.daily-reviews", "Daily reviews conducted for first week"),
    _criterion("T4.4", "t44.weekly-scheduled", "Weekly reviews scheduled for first month"),
    _criterion("T4.4", "t44.monthly", "Monthly review process established"),
    _criterion("T4.4", "t44.action-tracking", "Action item tracking system operational"),
    _criterion("T4.4", "t44.backlog", "Continuous improvement backlog maintained"),
]
"""Every success criterion of T4.1–T4.4, in the guide's order; ``sign_off`` ones are judgement."""

CRITERION_IDS = frozenset(c["id"] for c in CRITERIA)
SIGN_OFF_CRITERIA = frozenset(c["id"] for c in CRITERIA if c["kind"] == "sign_off")

RISKS: list[dict[str, Any]] = [
    {"id": "team-unavailability", "title": "Team unavailability delays governance execution",
     "mitigation": "Schedule activities 2-4 weeks in advance, offer async review options",
     "owner_function": "management", "owner_id": None, "status": "open"},
    {"id": "tool-costs", "title": "On-call tool costs exceed budget",
     "mitigation": "Start with manual rotation spreadsheet, upgrade to tool if needed",
     "owner_function": "devops", "owner_id": None, "status": "open"},
    {"id": "ccb-bottleneck", "title": "CCB meetings become bureaucratic bottleneck",
     "mitigation": "Time-box meetings (2 hours max), defer non-urgent changes to async review",
     "owner_function": "engineering", "owner_id": None, "status": "open"},
    {"id": "reviews-fade", "title": "Post-launch reviews fade after initial enthusiasm",
     "mitigation": "Automate metrics collection, require executive attendance monthly",
     "owner_function": "product", "owner_id": None, "status": "open"},
]
"""The guide's risk list with its mitigations; owners are functions until a person is named."""
