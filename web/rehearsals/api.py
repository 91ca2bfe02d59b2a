"""JSON API of release rehearsals under /api/v1/rehearsals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, request

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
    RehearsalSchema,
    RehearsalStepInputSchema,
    ReportQueryArgsSchema,
    ResolveIssueSchema,
    RollbackInputSchema,
)
from app.schemas import HistorySchema
from domain.errors import NotAuthenticated
from domain.rehearsals.rehearsal import Rehearsal
from web.api import openapi
from web.changes.api import body
from web.context import acting, read_model, services
from web.history import history_rows

if TYPE_CHECKING:
    from collections.abc import Callable

bp = Blueprint("api_rehearsals", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every rehearsal API call needs a valid bearer token."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


def detail(rehearsal_id: str) -> dict[str, Any]:
    """The rehearsal as the API shows it."""
    return RehearsalSchema().dump(rq.get_rehearsal(read_model(), rehearsal_id))


def command(rehearsal_id: str, run: Callable[[], Any], reason: str | None = None,
            ) -> dict[str, Any]:
    """Run a command as the token's owner, then return the rehearsal."""
    with acting(reason=reason):
        run()
    return detail(rehearsal_id)


@bp.post("/rehearsals")
def create_rehearsal() -> tuple[dict[str, Any], int]:
    """Plan a rehearsal with its playbook: the steps given, or a runbook's numbered steps."""
    data = body(RehearsalPlanInputSchema())
    runbook_id = data.pop("from_runbook_id", None)
    if runbook_id is not None:
        book = runbook_playbook(read_model(), str(runbook_id), g.user["id"])
        data["steps"] = book["steps"]
        data["source"] = {k: book[k] for k in ("runbook_id", "revision")}
        if "playbook" not in (request.get_json(silent=True) or {}):
            data["playbook"] = book["title"]
    with acting():
        result = services().rehearsals.plan_rehearsal(**data)
    return detail(result["id"]), 201


@bp.get("/rehearsals")
def list_rehearsals() -> dict[str, Any]:
    """List rehearsals, newest first."""
    args = RehearsalQueryArgsSchema().load(request.args.to_dict())
    return RehearsalListSchema().dump({"items": rq.list_rehearsals(read_model(), **args)})


@bp.get("/rehearsals/<rehearsal_id>")
def get_rehearsal(rehearsal_id: str) -> dict[str, Any]:
    """One rehearsal with everything recorded on it."""
    return detail(rehearsal_id)


@bp.post("/rehearsals/<rehearsal_id>/steps")
def add_step(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Append a playbook step (before the dry run starts)."""
    data = body(RehearsalStepInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.add_rehearsal_step(
        rehearsal_id, data["name"], data["planned_minutes"], str(data["owner_id"]))), 201


@bp.post("/rehearsals/<rehearsal_id>/parity")
def check_parity(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record a parity check (the parity pre-flight check)."""
    data = body(ParityInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.check_rehearsal_parity(
        rehearsal_id, data["items"])), 201


@bp.post("/rehearsals/<rehearsal_id>/preflight")
def record_preflight(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record (or re-run) a pre-flight check."""
    data = body(PreflightInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.record_rehearsal_preflight(
        rehearsal_id, **data)), 201


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/start")
def start_step(rehearsal_id: str, number: int) -> dict[str, Any]:
    """Start a step."""
    return command(rehearsal_id, lambda: services().rehearsals.start_rehearsal_step(rehearsal_id, number))


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/finish")
def finish_step(rehearsal_id: str, number: int) -> dict[str, Any]:
    """Finish the running step."""
    return command(rehearsal_id, lambda: services().rehearsals.finish_rehearsal_step(rehearsal_id, number))


@bp.post("/rehearsals/<rehearsal_id>/steps/<int:number>/skip")
def skip_step(rehearsal_id: str, number: int) -> dict[str, Any]:
    """Skip a pending step (a reason is required)."""
    data = body(ReasonSchema())
    return command(rehearsal_id, lambda: services().rehearsals.skip_rehearsal_step(rehearsal_id, number),
                   reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/abort")
def abort(rehearsal_id: str) -> dict[str, Any]:
    """Abort the dry run (a reason is required)."""
    data = body(ReasonSchema())
    return command(rehearsal_id, lambda: services().rehearsals.abort_rehearsal(rehearsal_id),
                   reason=data["reason"])


@bp.post("/rehearsals/<rehearsal_id>/issues")
def log_issue(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Log an issue against a started step."""
    data = body(IssueInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.log_rehearsal_issue(rehearsal_id, **data)), 201


@bp.post("/rehearsals/<rehearsal_id>/issues/<int:issue>/resolve")
def resolve_issue(rehearsal_id: str, issue: int) -> dict[str, Any]:
    """Record how an issue was resolved."""
    data = body(ResolveIssueSchema())
    return command(rehearsal_id, lambda: services().rehearsals.resolve_rehearsal_issue(
        rehearsal_id, issue, data["resolution"]))


@bp.post("/rehearsals/<rehearsal_id>/rollback-test")
def rollback_test(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record the rollback test."""
    data = body(RollbackInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.record_rollback_test(rehearsal_id, **data)), 201


@bp.post("/rehearsals/<rehearsal_id>/evaluation")
def evaluate(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record the measured metrics and compute the Go/No-Go recommendation."""
    data = body(MetricsInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.evaluate_rehearsal(rehearsal_id, **data)), 201


@bp.post("/rehearsals/<rehearsal_id>/decision")
def decide(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record the Go/No-Go decision (a reason when it goes against the recommendation)."""
    data = body(DecisionInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.decide_rehearsal(
        rehearsal_id, data["decision"]), reason=data["reason"]), 201


@bp.post("/rehearsals/<rehearsal_id>/lessons")
def record_lesson(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Record a lesson learned."""
    data = body(LessonInputSchema())
    return command(rehearsal_id, lambda: services().rehearsals.record_rehearsal_lesson(
        rehearsal_id, data["text"])), 201


@bp.post("/rehearsals/<rehearsal_id>/adjustments")
def recommend_adjustment(rehearsal_id: str) -> tuple[dict[str, Any], int]:
    """Recommend a runbook adjustment: an action item or a runbook revision proposal."""
    data = body(AdjustmentInputSchema())
    if data["owner_id"]:
        data["owner_id"] = str(data["owner_id"])
    return command(rehearsal_id, lambda: services().rehearsals.recommend_rehearsal_adjustment(
        rehearsal_id, **data)), 201


@bp.get("/rehearsals/<rehearsal_id>/report")
def report(rehearsal_id: str) -> Any:
    """The rehearsal report as JSON (default), Markdown or PDF."""
    fmt = ReportQueryArgsSchema().load(request.args.to_dict())["format"]
    content = build_report(rq.get_rehearsal(read_model(), rehearsal_id))
    return report_response(content, fmt, rehearsal_id)


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
def history(rehearsal_id: str) -> dict[str, Any]:
    """Every event of a rehearsal, oldest first."""
    return HistorySchema().dump({"events": history_rows(Rehearsal, rehearsal_id)})


# -- OpenAPI --------------------------------------------------------------------------------------

TAG = ["rehearsals"]
RID = [{"name": "rehearsal_id", "in": "path", "required": True,
        "schema": {"type": "string", "format": "uuid"}}]
STEP = [*RID, {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}]
WRITE = ("401", "403", "404", "409", "422")


def _post(summary: str, schema: str | None, params: list[dict[str, Any]] = RID,
          code: str = "201", optional: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": TAG, "parameters": params,
                          "responses": openapi.responses(code, "Rehearsal", "The rehearsal",
                                                         WRITE)}
    if schema:
        op["requestBody"] = {**openapi.body(schema), "required": not optional}
    return {"post": op}


openapi.add({
    "/rehearsals": {
        "get": {"summary": "List rehearsals", "tags": TAG,
                "parameters": [{"in": "query", "schema": RehearsalQueryArgsSchema}],
                "responses": openapi.responses("200", "RehearsalList", "Rehearsals",
                                               ("401", "422"))},
        "post": {"summary": "Plan a rehearsal with its playbook", "tags": TAG,
                 "description": "Give the ordered `steps`, or `from_runbook_id` to take the "
                                "numbered steps of an on-call runbook's current revision (a "
                                "duration such as \"(10 min)\" in a step sets its planned "
                                "minutes, else 15; the caller owns every step; `playbook` "
                                "defaults to the runbook's title). 404 for an unknown runbook, "
                                "422 naming `from_runbook_id` when it has no numbered steps.",
                 "requestBody": openapi.body("RehearsalInput"),
                 "responses": openapi.responses("201", "Rehearsal", "Planned",
                                                ("401", "403", "404", "409", "422"))}},
    "/rehearsals/{rehearsal_id}": {"get": {
        "summary": "One rehearsal", "tags": TAG, "parameters": RID,
        "responses": openapi.responses("200", "Rehearsal", "The rehearsal", ("401", "404"))}},
    "/rehearsals/{rehearsal_id}/steps": _post("Add a playbook step (before the dry run)",
                                              "RehearsalStepInput"),
    "/rehearsals/{rehearsal_id}/parity": _post("Record a parity check (> 90% passes)",
                                               "RehearsalParityInput"),
    "/rehearsals/{rehearsal_id}/preflight": _post("Record or re-run a pre-flight check",
                                                  "RehearsalPreflightInput"),
    "/rehearsals/{rehearsal_id}/steps/{number}/start": _post("Start a step", None, STEP, "200"),
    "/rehearsals/{rehearsal_id}/steps/{number}/finish": _post("Finish the running step", None,
                                                              STEP, "200"),
    "/rehearsals/{rehearsal_id}/steps/{number}/skip": _post(
        "Skip a pending step (reason required: 409 skip_reason_required)", "RehearsalReason",
        STEP, "200", optional=True),
    "/rehearsals/{rehearsal_id}/abort": _post(
        "Abort the dry run (reason required: 409 abort_reason_required)", "RehearsalReason",
        RID, "200", optional=True),
    "/rehearsals/{rehearsal_id}/issues": _post("Log an issue against a step",
                                               "RehearsalIssueInput"),
    "/rehearsals/{rehearsal_id}/issues/{issue}/resolve": _post(
        "Resolve an issue", "RehearsalResolveIssue",
        [*RID, {"name": "issue", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "200"),
    "/rehearsals/{rehearsal_id}/rollback-test": _post("Record the rollback test",
                                                      "RehearsalRollbackInput"),
    "/rehearsals/{rehearsal_id}/evaluation": _post(
        "Record metrics and evaluate Go/No-Go (error rate < 2%, p95 < 500 ms, uptime > 99%, "
        "every pre-flight check and the rollback test)", "RehearsalMetricsInput"),
    "/rehearsals/{rehearsal_id}/decision": _post(
        "Record the decision (against the recommendation needs a reason: 409 "
        "decision_against_recommendation_needs_reason)", "RehearsalDecisionInput"),
    "/rehearsals/{rehearsal_id}/lessons": _post("Record a lesson learned",
                                                "RehearsalLessonInput"),
    "/rehearsals/{rehearsal_id}/adjustments": _post(
        "Recommend a runbook adjustment (an action item or a runbook revision proposal)",
        "RehearsalAdjustmentInput"),
    "/rehearsals/{rehearsal_id}/report": {"get": {
        "summary": "The rehearsal report (format=json|markdown|pdf)", "tags": TAG,
        "parameters": [*RID, {"in": "query", "schema": ReportQueryArgsSchema}],
        "responses": {
            "200": {"description": "The report", "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/markdown": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
            **{k: v for k, v in openapi.responses("200", None, "", ("401", "404", "422"))
               .items() if k != "200"}}}},
    "/rehearsals/{rehearsal_id}/history": {"get": {
        "summary": "Every event of a rehearsal", "tags": [*TAG, "audit"], "parameters": RID,
        "responses": openapi.responses("200", "History", "Events, oldest first",
                                       ("401", "404"))}},
}, {
    "RehearsalStepInput": RehearsalStepInputSchema, "Rehearsal": RehearsalSchema,
    "RehearsalList": RehearsalListSchema, "RehearsalInput": RehearsalPlanInputSchema,
    "RehearsalParityInput": ParityInputSchema, "RehearsalPreflightInput": PreflightInputSchema,
    "RehearsalReason": ReasonSchema, "RehearsalIssueInput": IssueInputSchema,
    "RehearsalResolveIssue": ResolveIssueSchema, "RehearsalRollbackInput": RollbackInputSchema,
    "RehearsalMetricsInput": MetricsInputSchema, "RehearsalDecisionInput": DecisionInputSchema,
    "RehearsalLessonInput": LessonInputSchema, "RehearsalAdjustmentInput": AdjustmentInputSchema,
})
