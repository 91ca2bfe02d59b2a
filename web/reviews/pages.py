"""Launch and post-launch review pages: launches with their schedule, the review page with its
forms and document, the Markdown download, and the metrics dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from app.people import queries as people_queries
from app.reviews import queries as q
from app.reviews.documents import render_markdown, tickets_line
from app.reviews.schemas import (
    AddendumSchema,
    CancelReviewSchema,
    ExtendScheduleSchema,
    LaunchFormSchema,
    MetricsFormSchema,
    MoveReviewSchema,
    ReviewIssueSchema,
    ReviewNotesSchema,
    ReviewStatusUpdateSchema,
    TargetsSchema,
)
from domain.errors import DomainError, PermissionDenied
from domain.reviews.action_item import PRIORITIES, STATUSES
from domain.reviews.review import TICKET_SEVERITIES, Launch, Review
from web.charts import bar_chart, line_chart
from web.context import (
    acting,
    can_write,
    form_data,
    login_required,
    read_model,
    services,
    view_now,
)
from web.history import history_rows
from web.reviews.api import finalise

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

bp = Blueprint("reviews", __name__)



# -- launches -------------------------------------------------------------------------------------

@bp.route("/launches/", methods=("GET", "POST"))
@login_required
def launches() -> str | BaseResponse | tuple[str, int]:
    """List launches; record a new one."""
    form, errors = form_data(), {}
    if request.method == "POST":
        try:
            data = LaunchFormSchema().load(form)
            with acting():
                result = services().reviews.record_launch(**data)
            flash("Launch recorded; its reviews are scheduled.")
            return redirect(url_for("reviews.launch", launch_id=result["id"]))
        except ValidationError as exc:
            errors = exc.messages
    html = render_template("reviews/launches.html", launches=q.list_launches(read_model()),
                           form=form, errors=errors, writer=can_write())
    return (html, 422) if errors else html


@bp.get("/launches/<launch_id>")
@login_required
def launch(launch_id: str, form: dict[str, Any] | None = None,
           errors: dict[str, Any] | None = None) -> str:
    """A launch: its targets and review schedule (move or cancel reviews), and its history."""
    return render_template("reviews/launch.html", launch=q.get_launch(read_model(), launch_id),
                           events=history_rows(Launch, launch_id), form=form or {},
                           errors=errors or {}, tab=request.args.get("tab", "schedule"),
                           today=view_now().date(), writer=can_write())


@bp.post("/launches/<launch_id>/targets")
@login_required
def targets(launch_id: str) -> str | BaseResponse | tuple[str, int]:
    """Change the launch's targets."""
    form = form_data()
    try:
        data = TargetsSchema().load(form)
        with acting():
            services().reviews.change_launch_targets(launch_id, **data)
        flash("Targets changed.")
    except ValidationError as exc:
        return launch(launch_id, form, exc.messages), 422
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not saved: {exc.message}", "error")
    return redirect(url_for("reviews.launch", launch_id=launch_id))


@bp.post("/launches/<launch_id>/schedule")
@login_required
def extend_schedule(launch_id: str) -> BaseResponse:
    """Schedule more monthly reviews after the last one."""
    try:
        data = ExtendScheduleSchema().load(form_data())
        with acting():
            services().reviews.extend_review_schedule(launch_id, data["months"])
        flash(f"{data['months']} more monthly review(s) scheduled.")
    except ValidationError as exc:
        flash(f"Not scheduled: {exc.messages}", "error")
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not scheduled: {exc.message}", "error")
    return redirect(url_for("reviews.launch", launch_id=launch_id))


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

def _launch_command(review_id: str, schema: Any, run: Callable[[dict[str, Any]], Any],
                    done: str) -> str | BaseResponse | tuple[str, int]:
    launch_id = q.get_review(read_model(), review_id)["launch"]["id"]
    form = form_data()
    try:
        data = schema.load(form)
        with acting(reason=data.get("reason")):
            run(data)
        flash(done)
    except ValidationError as exc:
        return launch(launch_id, {**form, "review_id": review_id}, exc.messages), 422
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not saved: {exc.message}", "error")
    return redirect(url_for("reviews.launch", launch_id=launch_id))


@bp.post("/reviews/<review_id>/move")
@login_required
def move(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Move a review to another day."""
    return _launch_command(review_id, MoveReviewSchema(), lambda d: services().reviews.move_review(
        review_id, d["scheduled_for"]), "Review moved.")


@bp.post("/reviews/<review_id>/cancel")
@login_required
def cancel(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Cancel a review, with a reason."""
    return _launch_command(review_id, CancelReviewSchema(),
                           lambda d: services().reviews.cancel_review(review_id), "Review cancelled.")


# -- the review -----------------------------------------------------------------------------------

@bp.get("/reviews/")
@login_required
def index() -> str:
    """Every review of every launch, by date."""
    return render_template("reviews/index.html", reviews=q.list_reviews(read_model()),
                           today=view_now().date())


@bp.get("/reviews/<review_id>")
@login_required
def detail(review_id: str, form: dict[str, Any] | None = None,
           errors: dict[str, Any] | None = None, which: str | None = None) -> str:
    """The review: document with its forms, the Markdown, and its history."""
    doc = q.get_review(read_model(), review_id)
    tab = request.args.get("tab", "review")
    return render_template(
        "reviews/detail.html", doc=doc, review=doc["review"], tab=tab,
        markdown=render_markdown(doc) if tab == "document" else "",
        events=history_rows(Review, review_id) if tab == "history" else [],
        people=people_queries.list_people(read_model()), form=form or {}, errors=errors or {},
        which=which, writer=can_write(), statuses=STATUSES, priorities=PRIORITIES, severities=TICKET_SEVERITIES,
        tickets_line=tickets_line)


@bp.get("/reviews/<review_id>/document.md")
@login_required
def markdown(review_id: str) -> Response:
    """The review document as a Markdown download."""
    doc = q.get_review(read_model(), review_id)
    name = f"post-launch-review-{doc['review']['scheduled_for'].isoformat()}.md"
    return Response(render_markdown(doc), mimetype="text/markdown",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _review_command(review_id: str, which: str, schema: Any,
                    run: Callable[[dict[str, Any]], Any],
                    done: str) -> str | BaseResponse | tuple[str, int]:
    form = form_data()
    try:
        data = schema.load(form)
        with acting():
            run(data)
        flash(done)
    except ValidationError as exc:
        return detail(review_id, form, exc.messages, which), 422
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not saved: {exc.message}", "error")
    return redirect(url_for("reviews.detail", review_id=review_id))


@bp.post("/reviews/<review_id>/metrics")
@login_required
def metrics(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Record the period's metrics."""
    return _review_command(review_id, "metrics", MetricsFormSchema(),
                           lambda d: services().reviews.record_review_metrics(review_id, **d),
                           "Metrics recorded.")


@bp.post("/reviews/<review_id>/status-updates")
@login_required
def status_update(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Record an action item's status update in this review."""
    return _review_command(review_id, "status", ReviewStatusUpdateSchema(),
                           lambda d: services().reviews.record_review_status_update(
                               review_id, str(d["item_id"]), d["status"], d["note"]),
                           "Status update recorded.")


@bp.post("/reviews/<review_id>/issues")
@login_required
def raise_issue(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Raise a new issue as an action item sourced from this review."""
    return _review_command(review_id, "issue", ReviewIssueSchema(),
                           lambda d: services().reviews.raise_review_issue(
                               review_id, **{**d, "owner_id": str(d["owner_id"])}),
                           "Issue raised as an action item.")


@bp.post("/reviews/<review_id>/notes")
@login_required
def notes(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Record backlog, feedback themes, next review date and focus areas."""
    return _review_command(review_id, "notes", ReviewNotesSchema(),
                           lambda d: services().reviews.record_review_notes(review_id, **d),
                           "Notes recorded.")


@bp.post("/reviews/<review_id>/finalise")
@login_required
def finalise_review(review_id: str) -> BaseResponse:
    """Finalise the review (refused while open items lack a status update here)."""
    try:
        with acting():
            finalise(review_id)
        flash("Review finalised.")
    except (DomainError, PermissionDenied) as exc:
        items = getattr(exc, "details", {}).get("items", [])
        flash(f"Not finalised: {exc.message}" + (": " + ", ".join(
            i["title"] for i in items) if items else ""), "error")
    return redirect(url_for("reviews.detail", review_id=review_id))


@bp.post("/reviews/<review_id>/addenda")
@login_required
def addendum(review_id: str) -> str | BaseResponse | tuple[str, int]:
    """Add a correction to a finalised review."""
    return _review_command(review_id, "addendum", AddendumSchema(),
                           lambda d: services().reviews.add_review_addendum(review_id, d["text"]),
                           "Addendum added.")
