"""JSON API of the Track 4 programme under /api/v1/programme."""

from __future__ import annotations

from typing import Any

from app.programme import queries
from app.programme.schemas import (
    ActivityEditSchema,
    ProgrammeActivitySchema,
    ProgrammeCreatedSchema,
    ProgrammeOverviewSchema,
    ProgrammeInputSchema,
    ProgrammeReasonSchema,
    ProgrammeRiskSchema,
    ProgrammeRiskUpdateSchema,
    CriterionSignOffSchema,
    ActivityTimeLogSchema,
)
from app.schemas import HistorySchema
from domain.programme.programme import PROGRAMME_ID, Programme
from web.api import AreaBlueprint
from web.context import acting, current_as_of, read_model, services, view_now
from web.history import history_page
from web.programme.links import linked

bp = AreaBlueprint("programme", __name__, tag="programme")


def _overview() -> dict[str, Any]:
    moment = current_as_of()
    return linked(queries.overview(read_model(), view_now()),
                  **({"as_of": moment.isoformat()} if moment else {}))


def _activity(activity_id: str) -> dict[str, Any]:
    for track in queries.overview(read_model(), view_now())["tracks"]:
        for activity in track["activities"]:
            if activity["id"] == activity_id:
                return activity
    return {"id": activity_id}


@bp.get("/programme")
@bp.response(200, ProgrammeOverviewSchema)
@bp.errors(422)
def overview() -> dict[str, Any]:
    """Track 4 readiness: every success criterion with its evidence and what is missing, the
    activities planned vs actual, the risks (``?as_of=`` for a past moment)."""
    return _overview()


@bp.post("/programme")
@bp.arguments(ProgrammeInputSchema)
@bp.response(201, ProgrammeCreatedSchema)
@bp.errors(409)
def create(data: dict[str, Any]) -> dict[str, Any]:
    """Create the programme, seeded with the guide's activities and risks (admins)."""
    with acting():
        return services().programme.create_programme(**data)


@bp.patch("/programme/activities/<activity>")
@bp.arguments(ActivityEditSchema)
@bp.response(200, ProgrammeActivitySchema)
@bp.errors(404, 409)
def edit_activity(data: dict[str, Any], activity: str) -> dict[str, Any]:
    """Change an activity's name, owner, timebox or prerequisites (admins)."""
    reason = data.pop("reason", None)
    with acting(reason):
        services().programme.edit_activity(activity, **data)
    return _activity(activity)


@bp.post("/programme/activities/<activity>/start")
@bp.arguments(ProgrammeReasonSchema)
@bp.response(200, ProgrammeActivitySchema)
@bp.errors(404, 409)
def start_activity(data: dict[str, Any], activity: str) -> dict[str, Any]:
    """Start an activity; 409 ``prerequisite_not_met`` names the unmet prerequisites."""
    with acting(data["reason"]):
        services().programme.start_activity(activity)
    return _activity(activity)


@bp.post("/programme/activities/<activity>/complete")
@bp.arguments(ProgrammeReasonSchema)
@bp.response(200, ProgrammeActivitySchema)
@bp.errors(404, 409)
def complete_activity(data: dict[str, Any], activity: str) -> dict[str, Any]:
    """Complete an activity in progress."""
    with acting(data["reason"]):
        services().programme.complete_activity(activity)
    return _activity(activity)


@bp.post("/programme/activities/<activity>/time")
@bp.arguments(ActivityTimeLogSchema)
@bp.response(201, ProgrammeActivitySchema)
@bp.errors(404, 409)
def log_time(data: dict[str, Any], activity: str) -> dict[str, Any]:
    """Log hours the token's owner spent on an activity."""
    with acting():
        services().programme.log_time(activity, **data)
    return _activity(activity)


@bp.post("/programme/criteria/<criterion>/sign-offs")
@bp.arguments(CriterionSignOffSchema)
@bp.response(201, ProgrammeOverviewSchema)
@bp.errors(404, 409)
def sign_off(data: dict[str, Any], criterion: str) -> dict[str, Any]:
    """Sign off a judgement criterion as the token's owner (with their function)."""
    with acting():
        services().programme.sign_off(criterion, **data)
    return _overview()


@bp.post("/programme/criteria/<criterion>/sign-offs/withdraw")
@bp.arguments(ProgrammeReasonSchema)
@bp.response(200, ProgrammeOverviewSchema)
@bp.errors(404, 409)
def withdraw_sign_off(data: dict[str, Any], criterion: str) -> dict[str, Any]:
    """Take back the token owner's sign-off."""
    with acting(data["reason"]):
        services().programme.withdraw_sign_off(criterion)
    return _overview()


@bp.patch("/programme/risks/<risk>")
@bp.arguments(ProgrammeRiskUpdateSchema)
@bp.response(200, ProgrammeRiskSchema)
@bp.errors(404, 409)
def update_risk(data: dict[str, Any], risk: str) -> dict[str, Any]:
    """Change a risk's mitigation, owner or status (admins)."""
    reason = data.pop("reason", None)
    with acting(reason):
        services().programme.update_risk(risk, **data)
    return next(r for r in queries.overview(read_model(), view_now())["risks"]
                if r["id"] == risk)


@bp.get("/programme/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def history() -> dict[str, Any]:
    """Every event of the programme, oldest first."""
    return history_page(Programme, str(PROGRAMME_ID))
