"""Launch and post-launch review pages: launches with their schedule, the review page with its
forms and document, the Markdown download, and the metrics dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    Response,
    render_template,
    request,
    url_for,
)

from app.paging import PageQueryArgsSchema
from app.people import queries as people_queries
from app.programme import queries as programme_queries
from app.reviews import queries as q
from app.reviews.documents import render_markdown, tickets_line
from app.reviews.schemas import (
    AddendumFormSchema,
    CancelReviewFormSchema,
    ExtendScheduleFormSchema,
    LaunchFormSchema,
    MetricsFormSchema,
    MoveReviewFormSchema,
    ReviewIssueFormSchema,
    ReviewNotesFormSchema,
    ReviewQueryArgsSchema,
    ReviewStatusUpdateFormSchema,
    TargetsFormSchema,
)
from app.schemas import FormSchema
from domain.reviews.action_item import PRIORITIES, STATUSES
from domain.reviews.review import TICKET_SEVERITIES, Launch, Review
from web.charts import bar_chart, line_chart
from web.context import (
    can_write,
    login_required,
    read_model,
    services,
    view_now,
)
from web.forms import handle_form, validate
from web.history import history_rows
from web.reviews.api import finalise

if TYPE_CHECKING:
    from marshmallow import Schema
    from werkzeug.wrappers import Response as BaseResponse

    from web.forms import Errors, FormInput

bp = Blueprint("reviews", __name__)


# -- launches -------------------------------------------------------------------------------------

@bp.route("/launches/", methods=("GET", "POST"))
@login_required
def launches() -> str | BaseResponse | tuple[str, int]:
    """List launches; record a new one."""
    if request.method == "POST":
        return handle_form(
            LaunchFormSchema(), lambda data: services().reviews.record_launch(**data),
            success=lambda result: ("Launch recorded; its reviews are scheduled.",
                                    url_for("reviews.launch", launch_id=result["id"])),
            retry=_launches_page)
    return _launches_page({}, {})


def _launches_page(errors: Errors, form: FormInput) -> str:
    args, page_errors = validate(PageQueryArgsSchema(), request.args.to_dict())
    page = q.launch_page(read_model(), **(args or {}))
    return render_template("reviews/launches.html", page=page, launches=page["items"],
                           form=form, errors=errors, page_errors=page_errors,
                           writer=can_write())


@bp.get("/launches/<launch_id>")
@login_required
def launch(launch_id: str) -> str:
    """A launch: its targets and review schedule (move or cancel reviews), and its history."""
    return _launch_page(launch_id, {}, {})


def _launch_page(launch_id: str, errors: Errors, form: FormInput) -> str:
    """The launch page; ``form`` carries ``review_id`` when the errors belong to a review row."""
    return render_template("reviews/launch.html", launch=q.get_launch(read_model(), launch_id),
                           events=history_rows(Launch, launch_id), form=form,
                           errors=errors, tab=request.args.get("tab", "schedule"),
                           today=view_now().date(), writer=can_write())


@bp.post("/launches/<launch_id>/targets")
@login_required
def targets(launch_id: str) -> BaseResponse | tuple[str, int]:
    """Change the launch's targets."""
    return handle_form(
        TargetsFormSchema(), lambda data: services().reviews.change_launch_targets(launch_id, **data),
        success=("Targets changed.", url_for("reviews.launch", launch_id=launch_id)),
        retry=lambda errors, form: _launch_page(launch_id, errors, form))


@bp.post("/launches/<launch_id>/schedule")
@login_required
def extend_schedule(launch_id: str) -> BaseResponse | tuple[str, int]:
    """Schedule more monthly reviews after the last one."""
    back = url_for("reviews.launch", launch_id=launch_id)
    return handle_form(
        ExtendScheduleFormSchema(),
        lambda data: services().reviews.extend_review_schedule(launch_id, data["months"]),
        success=lambda result: (f"{len(result['review_ids'])} more monthly review(s) "
                                "scheduled.", back),
        retry=back, failure="Not scheduled")


@bp.get("/launches/<launch_id>/dashboard")
@login_required
def dashboard(launch_id: str) -> str:
    """Trends over the launch's reviews, each chart with its numbers in a table."""
    data = q.dashboard(read_model(), launch_id, view_now().date())
    points, targets = data["points"], data["launch"]["targets"]
    labels = [p["label"] for p in points]
    charts = {
        "uptime": line_chart("Uptime (%)", labels, [p["uptime_pct"] for p in points],
                             float(targets["uptime_min"])),
        "error_rate": line_chart("Error rate (%)", labels,
                                 [p["error_rate_pct"] for p in points],
                                 float(targets["error_rate_max"])),
        "p95": line_chart("Response time p95 (ms)", labels, [p["p95_ms"] for p in points],
                          float(targets["p95_max_ms"])),
        "incidents": bar_chart("Incidents by severity", labels, {
            s: [p["incidents"].get(s, 0) for p in points] for s in ("P0", "P1", "P2")}),
        "flow": bar_chart("Action items: opened / closed / overdue", labels, {
            k: [p[k] for p in points] for k in ("opened", "closed", "overdue")}, stacked=False),
        "mtta": line_chart("MTTA (minutes)", labels, [p["mtta_min"] for p in points]),
        "mttr": line_chart("MTTR (minutes)", labels, [p["mttr_min"] for p in points]),
    }
    return render_template("reviews/dashboard.html", launch=data["launch"], points=points,
                           charts=charts, has_incident_times=data["has_incident_times"],
                           incident_total=sum(sum(p["incidents"].values()) for p in points))


# -- schedule changes -----------------------------------------------------------------------------

def _launch_command(review_id: str, schema: Schema, run: Callable[[dict[str, Any]], Any],
                    done: str) -> BaseResponse | tuple[str, int]:
    """A review row's form on the launch page (its errors are shown in that row)."""
    launch_id = q.get_review(read_model(), review_id)["launch"]["id"]
    return handle_form(
        schema, run, reason="reason",
        success=(done, url_for("reviews.launch", launch_id=launch_id)),
        retry=lambda errors, form: _launch_page(launch_id, errors,
                                                {**form, "review_id": review_id}))


@bp.post("/reviews/<review_id>/move")
@login_required
def move(review_id: str) -> BaseResponse | tuple[str, int]:
    """Move a review to another day."""
    return _launch_command(review_id, MoveReviewFormSchema(), lambda d: services().reviews.move_review(
        review_id, d["scheduled_for"]), "Review moved.")


@bp.post("/reviews/<review_id>/cancel")
@login_required
def cancel(review_id: str) -> BaseResponse | tuple[str, int]:
    """Cancel a review, with a reason."""
    return _launch_command(review_id, CancelReviewFormSchema(),
                           lambda d: services().reviews.cancel_review(review_id), "Review cancelled.")


# -- the review -----------------------------------------------------------------------------------

@bp.get("/reviews/")
@login_required
def index() -> str:
    """The reviews of every launch by date, a page at a time."""
    args, errors = validate(ReviewQueryArgsSchema(), request.args.to_dict())
    page = q.review_page(read_model(), **(args or {}), brief=True)
    return render_template("reviews/index.html", page=page, reviews=page["items"],
                           errors=errors, today=view_now().date())


@bp.get("/reviews/<review_id>")
@login_required
def detail(review_id: str) -> str:
    """The review: document with its forms, the Markdown, and its history."""
    return _review_page(review_id, {}, {}, None)


def _review_page(review_id: str, errors: Errors, form: FormInput, which: str | None) -> str:
    """The review page; ``errors`` and ``form`` belong to the form named ``which``."""
    doc = q.get_review(read_model(), review_id)
    tab = request.args.get("tab", "review")
    return render_template(
        "reviews/detail.html", doc=doc, review=doc["review"], tab=tab,
        markdown=render_markdown(doc) if tab == "document" else "",
        events=history_rows(Review, review_id) if tab == "history" else [],
        people=people_queries.list_people(read_model()), form=form, errors=errors,
        which=which, writer=can_write(), statuses=STATUSES, priorities=PRIORITIES, severities=TICKET_SEVERITIES,
        tickets_line=tickets_line, programme_risks=programme_queries.risks(read_model()))


@bp.get("/reviews/<review_id>/document.md")
@login_required
def markdown(review_id: str) -> Response:
    """The review document as a Markdown download."""
    doc = q.get_review(read_model(), review_id)
    name = f"post-launch-review-{doc['review']['scheduled_for'].isoformat()}.md"
    return Response(render_markdown(doc), mimetype="text/markdown",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _review_command(review_id: str, which: str, schema: Schema,
                    run: Callable[[dict[str, Any]], Any],
                    done: str) -> BaseResponse | tuple[str, int]:
    """A form on the review page (its errors are shown next to that form's fields)."""
    return handle_form(
        schema, run, success=(done, url_for("reviews.detail", review_id=review_id)),
        retry=lambda errors, form: _review_page(review_id, errors, form, which))


@bp.post("/reviews/<review_id>/metrics")
@login_required
def metrics(review_id: str) -> BaseResponse | tuple[str, int]:
    """Record the period's metrics."""
    return _review_command(review_id, "metrics", MetricsFormSchema(),
                           lambda d: services().reviews.record_review_metrics(review_id, **d),
                           "Metrics recorded.")


@bp.post("/reviews/<review_id>/status-updates")
@login_required
def status_update(review_id: str) -> BaseResponse | tuple[str, int]:
    """Record an action item's status update in this review."""
    return _review_command(review_id, "status", ReviewStatusUpdateFormSchema(),
                           lambda d: services().reviews.record_review_status_update(
                               review_id, str(d["item_id"]), d["status"], d["note"]),
                           "Status update recorded.")


@bp.post("/reviews/<review_id>/issues")
@login_required
def raise_issue(review_id: str) -> BaseResponse | tuple[str, int]:
    """Raise a new issue as an action item sourced from this review."""
    return _review_command(review_id, "issue", ReviewIssueFormSchema(),
                           lambda d: services().reviews.raise_review_issue(
                               review_id, **{**d, "owner_id": str(d["owner_id"])}),
                           "Issue raised as an action item.")


@bp.post("/reviews/<review_id>/notes")
@login_required
def notes(review_id: str) -> BaseResponse | tuple[str, int]:
    """Record backlog, feedback themes, next review date and focus areas."""
    return _review_command(review_id, "notes", ReviewNotesFormSchema(),
                           lambda d: services().reviews.record_review_notes(review_id, **d),
                           "Notes recorded.")


@bp.post("/reviews/<review_id>/finalise")
@login_required
def finalise_review(review_id: str) -> BaseResponse | tuple[str, int]:
    """Finalise the review (refused while open items lack a status update here; the page
    lists them)."""
    back = url_for("reviews.detail", review_id=review_id)
    return handle_form(FormSchema(), lambda data: finalise(review_id), failure="Not finalised",
                       success=("Review finalised.", back), retry=back)


@bp.post("/reviews/<review_id>/addenda")
@login_required
def addendum(review_id: str) -> BaseResponse | tuple[str, int]:
    """Add a correction to a finalised review."""
    return _review_command(review_id, "addendum", AddendumFormSchema(),
                           lambda d: services().reviews.add_review_addendum(review_id, d["text"]),
                           "Addendum added.")
