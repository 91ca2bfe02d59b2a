"""Rehearsal pages: list, plan form, live checklist, Go/No-Go, report with downloads, history.

Every button is a plain form POST (POST-redirect-GET); the checklist's running clock is a small
inline script that only updates the elapsed times shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    abort,
    g,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from app.oncall.queries import list_runbooks
from app.people import queries as people_queries
from app.rehearsals import queries as rq
from app.rehearsals.documents import build_report, duration, go, variance
from app.rehearsals.runbooks import runbook_playbook
from app.rehearsals.schemas import (
    ADJUSTMENT_KINDS,
    FORM_STEP_ROWS,
    MANUAL_PREFLIGHT,
    AdjustmentFormSchema,
    DecisionFormSchema,
    IssueFormSchema,
    LessonFormSchema,
    MetricsFormSchema,
    ParityFormSchema,
    PreflightFormSchema,
    ReasonFormSchema,
    RehearsalFormSchema,
    RehearsalQueryArgsSchema,
    ResolveIssueFormSchema,
    RollbackFormSchema,
    form_rows,
    step_row_errors,
)
from app.schemas import jsonable
from domain.rehearsals.rehearsal import (
    COMPARATORS,
    PREFLIGHT_LABELS,
    SEVERITIES,
    STATUSES,
    Rehearsal,
)
from domain.reviews.action_item import PRIORITIES
from web.context import login_required, read_model, services
from web.forms import handle_form, validate
from web.history import history_rows
from web.rehearsals.api import report_response

if TYPE_CHECKING:
    from marshmallow import Schema
    from werkzeug.wrappers import Response

bp = Blueprint("rehearsals", __name__, url_prefix="/rehearsals")

TABS = ("checklist", "go-no-go", "report", "history")
DOWNLOADS = {"md": "markdown", "pdf": "pdf", "json": "json"}


@bp.get("/")
@login_required
def index() -> str:
    """List rehearsals, filtered by status or playbook."""
    args, errors = validate(RehearsalQueryArgsSchema(), request.args.to_dict())
    page = rq.rehearsal_page(read_model(), **(args or {}))
    return render_template("rehearsals/index.html", page=page, items=page["items"],
                           args=request.args,
                           errors=errors, statuses=STATUSES)


@bp.route("/new", methods=("GET", "POST"))
@login_required
def new() -> str | Response | tuple[str, int]:
    """Show the plan form, or plan the rehearsal."""
    if request.method == "POST":
        return handle_form(
            RehearsalFormSchema(), lambda data: services().rehearsals.plan_rehearsal(**_plan(data)),
            success=lambda result: ("Rehearsal planned.",
                                    url_for("rehearsals.detail", rehearsal_id=result["id"])),
            retry=lambda errors, form: _plan_form(form, errors))
    form: dict[str, Any] = {}
    if request.args.get("from"):
        form = _copy_of(rq.get_rehearsal(read_model(), request.args["from"]))
    if request.args.get("from_runbook"):
        try:
            book = runbook_playbook(read_model(), request.args["from_runbook"], g.user["id"],
                                    field="from_runbook")
        except ValidationError as exc:
            return _plan_form(form, exc.messages), 422
        form = _from_runbook(book)
    return _plan_form(form, {})


def _plan(data: dict[str, Any]) -> dict[str, Any]:
    """The plan command's arguments from the loaded form (its source runbook, if prefilled)."""
    runbook_id = data.pop("source_runbook_id")
    revision = data.pop("source_runbook_revision")
    if runbook_id is not None:
        data["source"] = {"runbook_id": str(runbook_id), "revision": revision}
    return {**data, "steps": [{**s, "owner_id": str(s["owner_id"])} for s in data["steps"]]}


def _from_runbook(book: dict[str, Any]) -> dict[str, Any]:
    """Prefill the plan form with a runbook's numbered steps (owned by the planner)."""
    form = {"release_version": "", "environment": "", "playbook": book["title"],
            "source_runbook_id": book["runbook_id"],
            "source_runbook_revision": str(book["revision"])}
    for n, s in enumerate(book["steps"], start=1):
        form.update({f"step_name_{n}": s["name"], f"step_minutes_{n}": str(s["planned_minutes"]),
                     f"step_owner_{n}": s["owner_id"]})
    return form


def _copy_of(previous: dict[str, Any]) -> dict[str, Any]:
    """Prefill the plan form from an earlier rehearsal: same playbook, owners and steps, each
    estimate replaced by the actual duration it took (rounded up to whole minutes)."""
    form = {"release_version": "", "environment": previous["environment"],
            "playbook": previous["playbook"]}
    for s in previous["steps"][:FORM_STEP_ROWS]:
        actual = s["actual_seconds"]
        minutes = -(-actual // 60) if actual else s["planned_minutes"]
        form.update({f"step_name_{s['number']}": s["name"],
                     f"step_minutes_{s['number']}": str(max(1, minutes)),
                     f"step_owner_{s['number']}": s["owner_id"]})
    return form


def _plan_form(form: dict[str, Any], errors: Any) -> str:
    engine = read_model()
    return render_template("rehearsals/new.html", form=form, errors=errors,
                           row_errors=step_row_errors(errors), rows=form_rows(form),
                           people=people_queries.list_people(engine), runbooks=list_runbooks(engine),
                           from_runbook=request.args.get("from_runbook", ""))


@bp.get("/<rehearsal_id>")
@login_required
def detail(rehearsal_id: str) -> str:
    """The rehearsal: live checklist, Go/No-Go, report or history tab."""
    return _detail(rehearsal_id, request.args.get("tab", "checklist"), {}, {})


def _detail(rehearsal_id: str, tab: str, errors: dict[str, Any], form: dict[str, Any]) -> str:
    engine = read_model()
    r = rq.get_rehearsal(engine, rehearsal_id)
    tab = tab if tab in TABS else "checklist"
    extra: dict[str, Any] = {}
    if tab == "report":
        extra["report"] = build_report(r)
    if tab == "history":
        extra["events"] = [{**e, "data": jsonable(e["data"])}
                           for e in history_rows(Rehearsal, rehearsal_id)]
        extra["accuracy"] = rq.playbook_history(engine, r["playbook"])
    return render_template(
        "rehearsals/detail.html", r=r, tab=tab, errors=errors, form=form,
        people=people_queries.list_people(engine), severities=SEVERITIES,
        manual_preflight=MANUAL_PREFLIGHT, labels=PREFLIGHT_LABELS, comparators=COMPARATORS,
        adjustment_kinds=ADJUSTMENT_KINDS, priorities=PRIORITIES, **extra)


def _act(rehearsal_id: str, name: str, tab: str, schema: Schema,
         run: Callable[[dict[str, Any]], Any], done: str,
         reason: str | None = None) -> Response | tuple[str, int]:
    """A form on the rehearsal page: run its command, then redirect back to the tab with a flash.

    Invalid input (422) or a refused command (409, 403) shows the page again with the errors
    next to that form's fields (a refusal flashed with its rule code) and its input kept.
    """
    return handle_form(
        schema, run, reason=reason, failure="Refused",
        success=(done, url_for("rehearsals.detail", rehearsal_id=rehearsal_id, tab=tab)),
        retry=lambda errors, form: _detail(rehearsal_id, tab, {name: errors}, {name: form}))


def _press(rehearsal_id: str, run: Callable[[dict[str, Any]], Any],
           done: str) -> Response | tuple[str, int]:
    """A checklist button (start, finish, skip or abort, with its optional reason): run the
    command and redirect back to the checklist, a refusal flashed with its rule code."""
    back = url_for("rehearsals.detail", rehearsal_id=rehearsal_id, tab="checklist")
    return handle_form(ReasonFormSchema(), run, reason="reason", failure="Refused",
                       success=(done, back), retry=back)


@bp.post("/<rehearsal_id>/parity")
@login_required
def parity(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record a parity check from ``name | expected | actual`` lines."""
    return _act(rehearsal_id, "parity", "checklist", ParityFormSchema(),
                lambda d: services().rehearsals.check_rehearsal_parity(rehearsal_id, d["items"]),
                "Parity check recorded.")


@bp.post("/<rehearsal_id>/preflight")
@login_required
def preflight(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record (or re-run) a pre-flight check."""
    return _act(rehearsal_id, "preflight", "checklist", PreflightFormSchema(),
                lambda d: services().rehearsals.record_rehearsal_preflight(rehearsal_id, **d),
                "Pre-flight check recorded.")


@bp.post("/<rehearsal_id>/steps/<int:number>/<action>")
@login_required
def step(rehearsal_id: str, number: int, action: str) -> Response | tuple[str, int]:
    """Start, finish or skip (with a reason) a playbook step."""
    commands = {"start": lambda: services().rehearsals.start_rehearsal_step(rehearsal_id, number),
                "finish": lambda: services().rehearsals.finish_rehearsal_step(rehearsal_id, number),
                "skip": lambda: services().rehearsals.skip_rehearsal_step(rehearsal_id, number)}
    if action not in commands:
        abort(404)
    return _press(rehearsal_id, lambda d: commands[action](),
                  f"Step {number} {'skipped' if action == 'skip' else action + 'ed'}.")


@bp.post("/<rehearsal_id>/abort")
@login_required
def abort_rehearsal(rehearsal_id: str) -> Response | tuple[str, int]:
    """Abort the dry run with a reason."""
    return _press(rehearsal_id, lambda d: services().rehearsals.abort_rehearsal(rehearsal_id),
                  "Rehearsal aborted.")


@bp.post("/<rehearsal_id>/issues")
@login_required
def log_issue(rehearsal_id: str) -> Response | tuple[str, int]:
    """Log an issue against a step."""
    return _act(rehearsal_id, "issue", "checklist", IssueFormSchema(),
                lambda d: services().rehearsals.log_rehearsal_issue(rehearsal_id, **d), "Issue logged.")


@bp.post("/<rehearsal_id>/issues/<int:issue>/resolve")
@login_required
def resolve_issue(rehearsal_id: str, issue: int) -> Response | tuple[str, int]:
    """Record an issue's resolution."""
    return _act(rehearsal_id, f"resolve{issue}", "checklist", ResolveIssueFormSchema(),
                lambda d: services().rehearsals.resolve_rehearsal_issue(rehearsal_id, issue,
                                                           d["resolution"]),
                "Resolution recorded.")


@bp.post("/<rehearsal_id>/rollback-test")
@login_required
def rollback_test(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record the rollback test (unchecked boxes are false)."""
    return _act(rehearsal_id, "rollback", "checklist", RollbackFormSchema(),
                lambda d: services().rehearsals.record_rollback_test(rehearsal_id, **d),
                "Rollback test recorded.")


@bp.post("/<rehearsal_id>/evaluation")
@login_required
def evaluate(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record metrics and evaluate the Go/No-Go criteria."""
    return _act(rehearsal_id, "metrics", "go-no-go", MetricsFormSchema(),
                lambda d: services().rehearsals.evaluate_rehearsal(rehearsal_id, **d),
                "Go/No-Go evaluated.")


@bp.post("/<rehearsal_id>/decision")
@login_required
def decide(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record the Go/No-Go decision."""
    return _act(rehearsal_id, "decision", "go-no-go", DecisionFormSchema(),
                lambda d: services().rehearsals.decide_rehearsal(rehearsal_id, d["decision"]),
                "Decision recorded.", reason="reason")


@bp.post("/<rehearsal_id>/lessons")
@login_required
def lesson(rehearsal_id: str) -> Response | tuple[str, int]:
    """Record a lesson learned."""
    return _act(rehearsal_id, "lesson", "report", LessonFormSchema(),
                lambda d: services().rehearsals.record_rehearsal_lesson(rehearsal_id, d["text"]),
                "Lesson recorded.")


@bp.post("/<rehearsal_id>/adjustments")
@login_required
def adjustment(rehearsal_id: str) -> Response | tuple[str, int]:
    """Recommend a runbook adjustment (action item or runbook revision proposal)."""
    def run(d: dict[str, Any]) -> Any:
        return services().rehearsals.recommend_rehearsal_adjustment(
            rehearsal_id, **{**d, "owner_id": str(d["owner_id"]) if d["owner_id"] else None})

    return _act(rehearsal_id, "adjustment", "report", AdjustmentFormSchema(), run,
                "Runbook adjustment recorded.")


@bp.get("/<rehearsal_id>/report.<ext>")
@login_required
def download(rehearsal_id: str, ext: str) -> Any:
    """Download the report as Markdown, PDF or JSON."""
    if ext not in DOWNLOADS:
        abort(404)
    content = build_report(rq.get_rehearsal(read_model(), rehearsal_id))
    return report_response(content, DOWNLOADS[ext], rehearsal_id)


@bp.app_template_filter("rehearsal_duration")
def duration_filter(seconds: int | None) -> str:
    """Seconds as ``12m 30s`` in rehearsal templates."""
    return duration(seconds)


@bp.app_template_filter("rehearsal_variance")
def variance_filter(step: dict[str, Any]) -> str:
    """A step's signed variance with its percentage of the plan."""
    return variance(step)


@bp.app_template_filter("go_no_go")
def go_filter(value: str | None) -> str:
    """``go``/``no_go`` as GO / NO-GO."""
    return go(value)
