"""JSON API of launches and post-launch reviews under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from app.reviews import queries as q
from app.reviews.documents import render_markdown
from app.reviews.schemas import (
    AddendumSchema,
    CancelReviewSchema,
    ExtendScheduleSchema,
    LaunchInputSchema,
    LaunchSchema,
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
from app.schemas import HistorySchema, jsonable
from domain.base import now
from domain.errors import NotAuthenticated
from domain.reviews.review import Launch, Review
from web.api import openapi
from web.changes.api import body
from web.context import acting, read_model, services
from web.history import history_rows

bp = Blueprint("api_reviews", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every call needs a valid bearer token."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


def _launch(launch_id: str) -> dict[str, Any]:
    return LaunchSchema().dump(q.get_launch(read_model(), launch_id))


def _review(review_id: str) -> dict[str, Any]:
    doc = q.get_review(read_model(), review_id)
    return review_document(doc, render_markdown(doc))


def finalise(review_id: str) -> None:
    """Finalise a review with a snapshot of its period's incidents (shared with the pages)."""
    review = q.get_review(read_model(), review_id)["review"]
    incidents = q.incidents_between(read_model(), review["period_start"], review["period_end"])
    services().reviews.finalise_review(review_id, incidents)


@bp.get("/launches")
def list_launches() -> dict[str, Any]:
    """Every launch, newest first."""
    return {"items": LaunchSchema(many=True, exclude=("reviews",)).dump(
        q.list_launches(read_model()))}


@bp.post("/launches")
def record_launch() -> tuple[dict[str, Any], int]:
    """Record a production launch; its reviews are scheduled from the cadence."""
    data = body(LaunchInputSchema())
    with acting():
        result = services().reviews.record_launch(**data)
    return _launch(result["id"]), 201


@bp.get("/launches/<launch_id>")
def get_launch(launch_id: str) -> dict[str, Any]:
    """One launch with its review schedule."""
    return _launch(launch_id)


@bp.post("/launches/<launch_id>/targets")
def change_targets(launch_id: str) -> dict[str, Any]:
    """Change the launch's targets."""
    data = body(TargetsSchema())
    with acting():
        services().reviews.change_launch_targets(launch_id, **data)
    return _launch(launch_id)


@bp.post("/launches/<launch_id>/schedule")
def extend_schedule(launch_id: str) -> dict[str, Any]:
    """Schedule more monthly reviews after the last one."""
    data = body(ExtendScheduleSchema())
    with acting():
        services().reviews.extend_review_schedule(launch_id, data["months"])
    return _launch(launch_id)


@bp.get("/launches/<launch_id>/dashboard")
def dashboard(launch_id: str) -> dict[str, Any]:
    """Trends over the launch's reviews."""
    data = q.dashboard(read_model(), launch_id, now().date())
    return jsonable({"launch_id": launch_id, "points": data["points"]})


@bp.get("/launches/<launch_id>/history")
def launch_history(launch_id: str) -> dict[str, Any]:
    """Every event of a launch, oldest first."""
    return HistorySchema().dump({"events": history_rows(Launch, launch_id)})


@bp.get("/reviews")
def list_reviews() -> dict[str, Any]:
    """Reviews of every launch by date."""
    args = ReviewQueryArgsSchema().load(request.args.to_dict())
    return {"items": ReviewSchema(many=True).dump(q.list_reviews(read_model(), **args))}


@bp.get("/reviews/<review_id>")
def get_review(review_id: str) -> dict[str, Any]:
    """One review: its document, the items lacking a status update, the comparison."""
    return _review(review_id)


@bp.get("/reviews/<review_id>/document.md")
def review_markdown(review_id: str) -> Response:
    """The review document in Markdown."""
    return Response(render_markdown(q.get_review(read_model(), review_id)),
                    mimetype="text/markdown")


def _command(review_id: str, schema: Any, run: Any) -> dict[str, Any]:
    data = body(schema)
    with acting(reason=data.pop("reason", None)):
        run(data)
    return _review(review_id)


@bp.post("/reviews/<review_id>/move")
def move(review_id: str) -> dict[str, Any]:
    """Move a review to another day."""
    return _command(review_id, MoveReviewSchema(),
                    lambda d: services().reviews.move_review(review_id, d["scheduled_for"]))


@bp.post("/reviews/<review_id>/cancel")
def cancel(review_id: str) -> dict[str, Any]:
    """Cancel a review, with a reason."""
    return _command(review_id, CancelReviewSchema(), lambda d: services().reviews.cancel_review(review_id))


@bp.post("/reviews/<review_id>/metrics")
def metrics(review_id: str) -> dict[str, Any]:
    """Record the period's metrics (a monitoring system may post them)."""
    return _command(review_id, MetricsInputSchema(),
                    lambda d: services().reviews.record_review_metrics(review_id, **d))


@bp.post("/reviews/<review_id>/status-updates")
def status_update(review_id: str) -> dict[str, Any]:
    """Record an action item's status update in this review."""
    return _command(review_id, ReviewStatusUpdateSchema(),
                    lambda d: services().reviews.record_review_status_update(
                        review_id, str(d["item_id"]), d["status"], d["note"]))


@bp.post("/reviews/<review_id>/issues")
def raise_issue(review_id: str) -> dict[str, Any]:
    """Raise a new issue as an action item sourced from this review."""
    return _command(review_id, ReviewIssueSchema(), lambda d: services().reviews.raise_review_issue(
        review_id, **{**d, "owner_id": str(d["owner_id"])}))


@bp.post("/reviews/<review_id>/notes")
def notes(review_id: str) -> dict[str, Any]:
    """Record backlog, feedback themes, next review date and focus areas."""
    return _command(review_id, ReviewNotesSchema(),
                    lambda d: services().reviews.record_review_notes(review_id, **d))


@bp.post("/reviews/<review_id>/finalise")
def finalise_review(review_id: str) -> dict[str, Any]:
    """Finalise (409 missing_status_updates while an open item has no update here)."""
    with acting():
        finalise(review_id)
    return _review(review_id)


@bp.post("/reviews/<review_id>/addenda")
def addendum(review_id: str) -> dict[str, Any]:
    """Add a correction to a finalised review."""
    return _command(review_id, AddendumSchema(),
                    lambda d: services().reviews.add_review_addendum(review_id, d["text"]))


@bp.get("/reviews/<review_id>/history")
def review_history(review_id: str) -> dict[str, Any]:
    """Every event of a review, oldest first."""
    return HistorySchema().dump({"events": history_rows(Review, review_id)})


def _id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "format": "uuid"}}]


R = openapi.responses
WRITE = ("401", "403", "404", "409", "422")


def _post(summary: str, schema: str | None, tag: str = "reviews",
          ok: str = "ReviewDocument") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "parameters": _id(
        "review_id" if tag == "reviews" else "launch_id"),
        "responses": R("200", ok, "Done", WRITE)}
    if schema:
        op["requestBody"] = openapi.body(schema)
    return {"post": op}


openapi.add({
    "/launches": {
        "get": {"summary": "List launches", "tags": ["launches"],
                "responses": R("200", None, "Launches", ("401",))},
        "post": {"summary": "Record a production launch (schedules its reviews)",
                 "tags": ["launches"], "requestBody": openapi.body("LaunchInput"),
                 "responses": R("201", "Launch", "Recorded", ("401", "403", "409", "422"))}},
    "/launches/{launch_id}": {"get": {
        "summary": "One launch with its review schedule", "tags": ["launches"],
        "parameters": _id("launch_id"),
        "responses": R("200", "Launch", "The launch", ("401", "404"))}},
    "/launches/{launch_id}/targets": _post("Change the launch's targets", "Targets",
                                           "launches", "Launch"),
    "/launches/{launch_id}/schedule": _post("Schedule more monthly reviews", "ExtendSchedule",
                                            "launches", "Launch"),
    "/launches/{launch_id}/dashboard": {"get": {
        "summary": "Trends over the launch's reviews", "tags": ["launches"],
        "parameters": _id("launch_id"), "responses": R("200", None, "Points", ("401", "404"))}},
    "/launches/{launch_id}/history": {"get": {
        "summary": "Every event of a launch", "tags": ["launches", "audit"],
        "parameters": _id("launch_id"),
        "responses": R("200", "History", "Events, oldest first", ("401", "404"))}},
    "/reviews": {"get": {
        "summary": "List reviews", "tags": ["reviews"],
        "parameters": [{"in": "query", "schema": ReviewQueryArgsSchema}],
        "responses": R("200", None, "Reviews", ("401", "422"))}},
    "/reviews/{review_id}": {"get": {
        "summary": "One review document (JSON, with its Markdown)", "tags": ["reviews"],
        "parameters": _id("review_id"),
        "responses": R("200", "ReviewDocument", "The review", ("401", "404"))}},
    "/reviews/{review_id}/document.md": {"get": {
        "summary": "The review document in Markdown", "tags": ["reviews"],
        "parameters": _id("review_id"),
        "responses": {"200": {"description": "Markdown", "content": {"text/markdown": {}}}}}},
    "/reviews/{review_id}/move": _post("Move a review to another day", "MoveReview"),
    "/reviews/{review_id}/cancel": _post("Cancel a review (reason required)", "CancelReview"),
    "/reviews/{review_id}/metrics": _post("Record metrics (form or monitoring)",
                                          "MetricsInput"),
    "/reviews/{review_id}/status-updates": _post("Record an action item's status update",
                                                 "ReviewStatusUpdate"),
    "/reviews/{review_id}/issues": _post("Raise a new issue as an action item", "ReviewIssue"),
    "/reviews/{review_id}/notes": _post("Backlog, feedback, next review and focus",
                                        "ReviewNotes"),
    "/reviews/{review_id}/finalise": _post(
        "Finalise (409 missing_status_updates lists open items without an update)", None),
    "/reviews/{review_id}/addenda": _post("Add an addendum to a finalised review", "Addendum"),
    "/reviews/{review_id}/history": {"get": {
        "summary": "Every event of a review", "tags": ["reviews", "audit"],
        "parameters": _id("review_id"),
        "responses": R("200", "History", "Events, oldest first", ("401", "404"))}},
}, {
    "Targets": TargetsSchema, "Review": ReviewSchema, "Launch": LaunchSchema,
    "LaunchInput": LaunchInputSchema, "ReviewDocument": ReviewDocumentSchema,
    "MoveReview": MoveReviewSchema, "CancelReview": CancelReviewSchema,
    "MetricsInput": MetricsInputSchema, "ReviewStatusUpdate": ReviewStatusUpdateSchema,
    "ReviewIssue": ReviewIssueSchema, "ReviewNotes": ReviewNotesSchema,
    "Addendum": AddendumSchema, "ExtendSchedule": ExtendScheduleSchema,
})
