"""JSON API of release rehearsals under /api/v1/rehearsals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, g, request

from app.rehearsals import queries as rq
from app.rehearsals.documents import build_report, to_markdown, to_pdf
from app.rehearsals.runbooks import runbook_playbook
from app.rehearsals.schemas import (
    AdjustmentInputSchema,
    DecisionInputSchema,
    IssueInputSchema,
    LessonInputSchema,
    MetricsInputSchema,
    ParityInputSchema,
    PreflightInputSchema,
    ReasonSchema,
    RehearsalListSchema,
    RehearsalPlanInputSchema,
    RehearsalQueryArgsSchema,
    RehearsalReportSchema,
    RehearsalSchema,
    RehearsalStepInputSchema,
    ReportQueryArgsSchema,
    ResolveIssueSchema,
    RollbackInputSchema,
)
from app.schemas import HistorySchema
from domain.rehearsals.rehearsal import Rehearsal
from web.api import AreaBlueprint
from web.context import acting, read_model, services
from web.history import history_page

if TYPE_CHECKING:
    from collections.abc import Callable

bp = AreaBlueprint("rehearsals", __name__, tag="rehearsals", schema_names={
    RehearsalPlanInputSchema: "RehearsalInput", ParityInputSchema: "RehearsalParityInput",
    PreflightInputSchema: "RehearsalPreflightInput", ReasonSchema: "RehearsalReason",
    IssueInputSchema: "RehearsalIssueInput", ResolveIssueSchema: "RehearsalResolveIssue",
    RollbackInputSchema: "RehearsalRollbackInput", MetricsInputSchema: "RehearsalMetricsInput",
    DecisionInputSchema: "RehearsalDecisionInput", LessonInputSchema: "RehearsalLessonInput",
    AdjustmentInputSchema: "RehearsalAdjustmentInput"})

WRITE_ERRORS = (404, 409)


def command(rehearsal_id: str, run: Callable[[], Any], reason: str | None = None,
            ) -> dict[str, Any]:
    """Run a command as the token's owner, then return the rehearsal."""
    with acting(reason=reason):
        run()
    return rq.get_rehearsal(read_model(), rehearsal_id)


@bp.post("/rehearsals")
@bp.arguments(RehearsalPlanInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
@bp.doc(description=(
    "Give the ordered `steps`, or `from_runbook_id` to take the numbered steps of an on-call "
    "runbook's current revision (a duration such as \"(10 min)\" in a step sets its planned "
    "minutes, else 15; the caller owns every step; `playbook` defaults to the runbook's "
    "title). 404 for an unknown runbook, 422 naming `from_runbook_id` when it has no numbered "
    "steps."))
def create_rehearsal(data: dict[str, Any]) -> dict[str, Any]:
    """Plan a rehearsal with its playbook: the steps given, or a runbook's numbered steps."""
    runbook_id = data.pop("from_runbook_id", None)
    if runbook_id is not None:
        book = runbook_playbook(read_model(), str(runbook_id), g.user["id"])
        data["steps"] = book["steps"]
        data["source"] = {k: book[k] for k in ("runbook_id", "revision")}
        if "playbook" not in (request.get_json(silent=True) or {}):
            data["playbook"] = book["title"]
    with acting():
        result = services().rehearsals.plan_rehearsal(**data)
    return rq.get_rehearsal(read_model(), result["id"])


@bp.get("/rehearsals")
@bp.arguments(RehearsalQueryArgsSchema, location="query")
@bp.response(200, RehearsalListSchema)
def list_rehearsals(args: dict[str, Any]) -> dict[str, Any]:
    """A page of rehearsals, newest first, and how many match."""
    return rq.rehearsal_page(read_model(), **args)


@bp.get("/rehearsals/<rehearsal_id>")
@bp.response(200, RehearsalSchema)
@bp.errors(404)
def get_rehearsal(rehearsal_id: str) -> dict[str, Any]:
    """One rehearsal with everything recorded on it."""
    return rq.get_rehearsal(read_model(), rehearsal_id)


@bp.post("/rehearsals/<rehearsal_id>/steps")
@bp.arguments(RehearsalStepInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def add_step(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Append a playbook step (before the dry run starts)."""
    return command(rehearsal_id, lambda: services().rehearsals.add_rehearsal_step(
        rehearsal_id, data["name"], data["planned_minutes"], str(data["owner_id"])))


@bp.post("/rehearsals/<rehearsal_id>/parity")
@bp.arguments(ParityInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def check_parity(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record a parity check (the parity pre-flight check passes above 90%)."""
    return command(rehearsal_id, lambda: services().rehearsals.check_rehearsal_parity(
        rehearsal_id, data["items"]))


@bp.post("/rehearsals/<rehearsal_id>/preflight")
@bp.arguments(PreflightInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def record_preflight(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record (or re-run) a pre-flight check."""
    return command(rehearsal_id, lambda: services().rehearsals.record_rehearsal_preflight(
        rehearsal_id, **data))


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/start")
@bp.arguments(ReasonSchema)
@bp.response(200, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def start_step(data: dict[str, Any], rehearsal_id: str, number: int) -> dict[str, Any]:
    """Start a step (409 preflight_not_recorded before every pre-flight check is recorded,
    unless a `reason` is given: the override is recorded with it)."""
    return command(rehearsal_id, lambda: services().rehearsals.start_rehearsal_step(rehearsal_id, number),
                   reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/finish")
@bp.response(200, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def finish_step(rehearsal_id: str, number: int) -> dict[str, Any]:
    """Finish the running step."""
    return command(rehearsal_id, lambda: services().rehearsals.finish_rehearsal_step(rehearsal_id, number))


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/skip")
@bp.arguments(ReasonSchema)
@bp.response(200, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def skip_step(data: dict[str, Any], rehearsal_id: str, number: int) -> dict[str, Any]:
    """Skip a pending step (a reason is required: 409 skip_reason_required)."""
    return command(rehearsal_id, lambda: services().rehearsals.skip_rehearsal_step(rehearsal_id, number),
                   reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/abort")
@bp.arguments(ReasonSchema)
@bp.response(200, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def abort(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Abort the dry run (a reason is required: 409 abort_reason_required)."""
    return command(rehearsal_id, lambda: services().rehearsals.abort_rehearsal(rehearsal_id),
                   reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/issues")
@bp.arguments(IssueInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def log_issue(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Log an issue against a started step."""
    return command(rehearsal_id, lambda: services().rehearsals.log_rehearsal_issue(rehearsal_id, **data))


@bp.post("/rehearsals/<rehearsal_id>/issues/<int:issue>/resolve")
@bp.arguments(ResolveIssueSchema)
@bp.response(200, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def resolve_issue(data: dict[str, Any], rehearsal_id: str, issue: int) -> dict[str, Any]:
    """Record how an issue was resolved."""
    return command(rehearsal_id, lambda: services().rehearsals.resolve_rehearsal_issue(
        rehearsal_id, issue, data["resolution"]))


@bp.post("/rehearsals/<rehearsal_id>/rollback-test")
@bp.arguments(RollbackInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def rollback_test(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record the rollback test."""
    return command(rehearsal_id, lambda: services().rehearsals.record_rollback_test(rehearsal_id, **data))


@bp.post("/rehearsals/<rehearsal_id>/evaluation")
@bp.arguments(MetricsInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def evaluate(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record the measured metrics and compute the Go/No-Go recommendation (error rate < 2%,
    p95 < 500 ms, uptime > 99%, every pre-flight check and the rollback test)."""
    return command(rehearsal_id, lambda: services().rehearsals.evaluate_rehearsal(rehearsal_id, **data))


@bp.post("/rehearsals/<rehearsal_id>/decision")
@bp.arguments(DecisionInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def decide(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record the Go/No-Go decision (against the recommendation it needs a reason: 409
    decision_against_recommendation_needs_reason)."""
    return command(rehearsal_id, lambda: services().rehearsals.decide_rehearsal(
        rehearsal_id, data["decision"]), reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/lessons")
@bp.arguments(LessonInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def record_lesson(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Record a lesson learned."""
    return command(rehearsal_id, lambda: services().rehearsals.record_rehearsal_lesson(
        rehearsal_id, data["text"]))


@bp.post("/rehearsals/<rehearsal_id>/adjustments")
@bp.arguments(AdjustmentInputSchema)
@bp.response(201, RehearsalSchema)
@bp.errors(*WRITE_ERRORS)
def recommend_adjustment(data: dict[str, Any], rehearsal_id: str) -> dict[str, Any]:
    """Recommend a runbook adjustment: an action item or a runbook revision proposal."""
    if data["owner_id"]:
        data["owner_id"] = str(data["owner_id"])
    return command(rehearsal_id, lambda: services().rehearsals.recommend_rehearsal_adjustment(
        rehearsal_id, **data))


@bp.get("/rehearsals/<rehearsal_id>/report")
@bp.arguments(ReportQueryArgsSchema, location="query")
@bp.response(200, RehearsalReportSchema)
@bp.alt_response(200, schema={"type": "string"}, content_type="text/markdown", success=True)
@bp.alt_response(200, schema={"type": "string", "format": "binary"},
                 content_type="application/pdf", success=True,
                 description="The report (format=json|markdown|pdf)")
@bp.errors(404)
def report(args: dict[str, Any], rehearsal_id: str) -> Any:
    """The rehearsal report as JSON (default), Markdown or PDF."""
    content = build_report(rq.get_rehearsal(read_model(), rehearsal_id))
    return report_response(content, args["format"], rehearsal_id)


def report_response(content: dict[str, Any], fmt: str, rehearsal_id: str) -> Any:
    """Serve a built report in ``fmt`` (shared by the API and the report page downloads)."""
    name = f"rehearsal-{content['summary']['release_version']}-{rehearsal_id[:8]}"
    if fmt == "markdown":
        return Response(to_markdown(content), mimetype="text/markdown", headers={
            "Content-Disposition": f'attachment; filename="{name}.md"'})
    if fmt == "pdf":
        return Response(to_pdf(content), mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return content


@bp.get("/rehearsals/<rehearsal_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def history(rehearsal_id: str) -> dict[str, Any]:
    """Every event of a rehearsal, oldest first."""
    return history_page(Rehearsal, rehearsal_id)
