"""The programme page: Track 4 readiness from the evidence, activities with owners and
timeboxes, time logged, sign-offs and risks; every button is one form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, render_template, url_for

from app.people import queries as people_queries
from app.programme import queries
from app.programme.schemas import (
    ActivityEditFormSchema,
    ProgrammeFormSchema,
    ProgrammeReasonFormSchema,
    ProgrammeRiskUpdateFormSchema,
    CriterionSignOffFormSchema,
    ActivityTimeLogFormSchema,
)
from domain.people.person import FUNCTIONS
from domain.programme.programme import RISK_STATUSES
from web.context import current_as_of, login_required, read_model, services, view_now
from web.forms import handle_form
from web.programme.links import linked

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("programme", __name__, url_prefix="/programme")
STATUS_BADGE = {"met": "completed", "partly": "in_progress", "not_met": "blocked"}


@bp.get("/")
@login_required
def index() -> str:
    """Track 4 readiness as of now (or the chosen moment)."""
    overview = linked(queries.overview(read_model(), view_now()))
    return render_template("programme/index.html", overview=overview, badge=STATUS_BADGE,
                           people=people_queries.list_people(read_model()),
                           functions=FUNCTIONS, risk_statuses=RISK_STATUSES,
                           view_as_of=current_as_of())


def _back() -> str:
    return url_for("programme.index")


@bp.post("/create")
@login_required
def create() -> Response | tuple[str, int]:
    """Create the programme from the guide (admins)."""
    return handle_form(ProgrammeFormSchema(),
                       lambda data: services().programme.create_programme(**data),
                       success=("Programme created from the guide's tables.", _back()),
                       retry=_back(), failure="Not created")


@bp.post("/activities/<activity>/edit")
@login_required
def edit_activity(activity: str) -> Response | tuple[str, int]:
    """Edit an activity's owner, timebox or prerequisites (admins)."""
    return handle_form(ActivityEditFormSchema(),
                       lambda data: services().programme.edit_activity(activity, **data),
                       success=("Activity updated.", _back() + f"#{activity}"),
                       retry=_back(), reason="reason")


@bp.post("/activities/<activity>/<action>")
@login_required
def act(activity: str, action: str) -> Response | tuple[str, int]:
    """Start or complete an activity."""
    commands: dict[str, Any] = {"start": services().programme.start_activity,
                                "complete": services().programme.complete_activity}
    if action not in commands:
        from flask import abort

        abort(404)
    return handle_form(ProgrammeReasonFormSchema(), lambda data: commands[action](activity),
                       success=(f"Activity {action}ed." if action == "start" else
                                "Activity completed.", _back() + f"#{activity}"),
                       retry=_back(), reason="reason",
                       failure="Not started" if action == "start" else "Not completed")


@bp.post("/activities/<activity>/time")
@login_required
def log_time(activity: str) -> Response | tuple[str, int]:
    """Log hours against an activity."""
    return handle_form(ActivityTimeLogFormSchema(),
                       lambda data: services().programme.log_time(activity, **data),
                       success=("Time logged.", _back() + f"#{activity}"), retry=_back(),
                       failure="Time not logged")


@bp.post("/criteria/<criterion>/sign-off")
@login_required
def sign_off(criterion: str) -> Response | tuple[str, int]:
    """Sign off a judgement criterion."""
    return handle_form(CriterionSignOffFormSchema(),
                       lambda data: services().programme.sign_off(criterion, **data),
                       success=("Signed off.", _back() + f"#{criterion}"), retry=_back(),
                       failure="Not signed off")


@bp.post("/criteria/<criterion>/withdraw")
@login_required
def withdraw_sign_off(criterion: str) -> Response | tuple[str, int]:
    """Take back one's sign-off."""
    return handle_form(ProgrammeReasonFormSchema(),
                       lambda data: services().programme.withdraw_sign_off(criterion),
                       success=("Sign-off withdrawn.", _back() + f"#{criterion}"),
                       retry=_back(), reason="reason", failure="Not withdrawn")


@bp.post("/risks/<risk>")
@login_required
def update_risk(risk: str) -> Response | tuple[str, int]:
    """Update a risk (admins)."""
    return handle_form(ProgrammeRiskUpdateFormSchema(),
                       lambda data: services().programme.update_risk(risk, **data),
                       success=("Risk updated.", _back() + f"#risk-{risk}"), retry=_back(),
                       reason="reason", failure="Risk not updated")
