"""JSON API of launches and post-launch reviews under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.reviews import queries as q
from app.reviews.documents import render_markdown
from app.reviews.schemas import (
    AddendumSchema,
    CancelReviewSchema,
    DashboardSchema,
    ExtendScheduleSchema,
    LaunchInputSchema,
    LaunchSchema,
    LaunchSummarySchema,
    MetricsInputSchema,
    MoveReviewSchema,
    ReviewDocumentSchema,
    ReviewIssueSchema,
    ReviewNotesSchema,
    ReviewQueryArgsSchema,
    ReviewSchema,
    ReviewStatusUpdateSchema,
    TargetsSchema,
    review_document,
)
from app.paging import PageQueryArgsSchema, page_schema
from app.schemas import HistorySchema
from domain.base import now
from domain.reviews.review import Launch, Review
from web.api import AreaBlueprint
from web.context import acting, read_model, services
from web.history import history_page

bp = AreaBlueprint("reviews", __name__, tag="launches and reviews")

LaunchListSchema = page_schema(LaunchSummarySchema, "LaunchList")
ReviewListSchema = page_schema(ReviewSchema, "ReviewList")
WRITE_ERRORS = (404, 409)


def _review(review_id: str) -> dict[str, Any]:
    doc = q.get_review(read_model(), review_id)
    return review_document(doc, render_markdown(doc))


def finalise(review_id: str) -> None:
    """Finalise a review with a snapshot of its period's incidents (shared with the pages)."""
    review = q.get_review(read_model(), review_id)["review"]
    incidents = q.incidents_between(read_model(), review["period_start"], review["period_end"])
    services().reviews.finalise_review(review_id, incidents)


@bp.get("/launches")
@bp.arguments(PageQueryArgsSchema, location="query")
@bp.response(200, LaunchListSchema)
def list_launches(page: dict[str, Any]) -> dict[str, Any]:
    """A page of launches, newest first, and how many there are."""
    return q.launch_page(read_model(), **page)


@bp.post("/launches")
@bp.arguments(LaunchInputSchema)
@bp.response(201, LaunchSchema)
@bp.errors(409)
def record_launch(data: dict[str, Any]) -> dict[str, Any]:
    """Record a production launch; its reviews are scheduled from the cadence."""
    with acting():
        result = services().reviews.record_launch(**data)
    return q.get_launch(read_model(), result["id"])


@bp.get("/launches/<launch_id>")
@bp.response(200, LaunchSchema)
@bp.errors(404)
def get_launch(launch_id: str) -> dict[str, Any]:
    """One launch with its review schedule."""
    return q.get_launch(read_model(), launch_id)


@bp.post("/launches/<launch_id>/targets")
@bp.arguments(TargetsSchema)
@bp.response(200, LaunchSchema)
@bp.errors(*WRITE_ERRORS)
def change_targets(data: dict[str, Any], launch_id: str) -> dict[str, Any]:
    """Change the launch's targets."""
    with acting():
        services().reviews.change_launch_targets(launch_id, **data)
    return q.get_launch(read_model(), launch_id)


@bp.post("/launches/<launch_id>/schedule")
@bp.arguments(ExtendScheduleSchema)
@bp.response(200, LaunchSchema)
@bp.errors(*WRITE_ERRORS)
def extend_schedule(data: dict[str, Any], launch_id: str) -> dict[str, Any]:
    """Schedule more monthly reviews after the last one."""
    with acting():
        services().reviews.extend_review_schedule(launch_id, data["months"])
    return q.get_launch(read_model(), launch_id)


@bp.get("/launches/<launch_id>/dashboard")
@bp.response(200, DashboardSchema)
@bp.errors(404)
def dashboard(launch_id: str) -> dict[str, Any]:
    """Trends over the launch's reviews."""
    data = q.dashboard(read_model(), launch_id, now().date())
    return {"launch_id": launch_id, "points": data["points"]}


@bp.get("/launches/<launch_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def launch_history(launch_id: str) -> dict[str, Any]:
    """Every event of a launch, oldest first."""
    return history_page(Launch, launch_id)


@bp.get("/reviews")
@bp.arguments(ReviewQueryArgsSchema, location="query")
@bp.response(200, ReviewListSchema)
def list_reviews(args: dict[str, Any]) -> dict[str, Any]:
    """A page of the reviews of every launch by date, and how many match."""
    return q.review_page(read_model(), **args)


@bp.get("/reviews/<review_id>")
@bp.response(200, ReviewDocumentSchema)
@bp.errors(404)
def get_review(review_id: str) -> dict[str, Any]:
    """One review document (JSON, with its Markdown): the items lacking a status update, the
    comparison with the previous review."""
    return _review(review_id)


@bp.get("/reviews/<review_id>/document.md")
@bp.response(200, {"type": "string"}, content_type="text/markdown", description="Markdown")
@bp.errors(404)
def review_markdown(review_id: str) -> Response:
    """The review document in Markdown."""
    return Response(render_markdown(q.get_review(read_model(), review_id)),
                    mimetype="text/markdown")


def _command(review_id: str, data: dict[str, Any], run: Any) -> dict[str, Any]:
    with acting(reason=data.pop("reason", None)):
        run(data)
    return _review(review_id)


@bp.post("/reviews/<review_id>/move")
@bp.arguments(MoveReviewSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def move(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Move a review to another day."""
    return _command(review_id, data,
                    lambda d: services().reviews.move_review(review_id, d["scheduled_for"]))


@bp.post("/reviews/<review_id>/cancel")
@bp.arguments(CancelReviewSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def cancel(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Cancel a review, with a reason."""
    return _command(review_id, data, lambda d: services().reviews.cancel_review(review_id))


@bp.post("/reviews/<review_id>/metrics")
@bp.arguments(MetricsInputSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def metrics(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Record the period's metrics (a monitoring system may post them)."""
    return _command(review_id, data,
                    lambda d: services().reviews.record_review_metrics(review_id, **d))


@bp.post("/reviews/<review_id>/status-updates")
@bp.arguments(ReviewStatusUpdateSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def status_update(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Record an action item's status update in this review."""
    return _command(review_id, data, lambda d: services().reviews.record_review_status_update(
        review_id, str(d["item_id"]), d["status"], d["note"]))


@bp.post("/reviews/<review_id>/issues")
@bp.arguments(ReviewIssueSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def raise_issue(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Raise a new issue as an action item sourced from this review."""
    return _command(review_id, data, lambda d: services().reviews.raise_review_issue(
        review_id, **{**d, "owner_id": str(d["owner_id"])}))


@bp.post("/reviews/<review_id>/notes")
@bp.arguments(ReviewNotesSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def notes(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Record backlog, feedback themes, next review date and focus areas."""
    return _command(review_id, data,
                    lambda d: services().reviews.record_review_notes(review_id, **d))


@bp.post("/reviews/<review_id>/finalise")
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def finalise_review(review_id: str) -> dict[str, Any]:
    """Finalise (409 missing_status_updates lists open items without an update here)."""
    with acting():
        finalise(review_id)
    return _review(review_id)


@bp.post("/reviews/<review_id>/addenda")
@bp.arguments(AddendumSchema)
@bp.response(200, ReviewDocumentSchema)
@bp.errors(*WRITE_ERRORS)
def addendum(data: dict[str, Any], review_id: str) -> dict[str, Any]:
    """Add a correction to a finalised review."""
    return _command(review_id, data,
                    lambda d: services().reviews.add_review_addendum(review_id, d["text"]))


@bp.get("/reviews/<review_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def review_history(review_id: str) -> dict[str, Any]:
    """Every event of a review, oldest first."""
    return history_page(Review, review_id)
