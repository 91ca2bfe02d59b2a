"""Audit JSON API: public key, checkpoints, RFC 6962 proofs, verification, any entity's history,
compliance bundles."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.audit.schemas import (
    BundleQuerySchema,
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    PublicKeyQueryArgsSchema,
    PublicKeySchema,
    SampleQuerySchema,
    SampleSchema,
    VerifyReportSchema,
)
from app.paging import PageQueryArgsSchema, page_schema
from app.schemas import HistorySchema
from domain.base import LedgerAggregate
from domain.errors import NotFound
from web.api import AreaBlueprint
from web.context import acting, services
from web.history import history_page

bp = AreaBlueprint("audit", __name__, tag="audit")

CheckpointListSchema = page_schema(CheckpointSchema, "CheckpointList")
TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}


@bp.get("/ledger/public-key")
@bp.arguments(PublicKeyQueryArgsSchema, location="query")
@bp.response(200, PublicKeySchema)
@bp.alt_response(200, schema=TEXT, content_type="application/x-pem-file", success=True,
                 description="Keys by id, or (format=pem) the current key")
@bp.errors(404)
def public_key(args: dict[str, Any]) -> Any:
    """The checkpoint-signing public keys (``?format=pem``: the current key as PEM text)."""
    keys = services().audit.public_keys()
    if args["format"] == "pem":
        if keys["current"] is None:
            raise NotFound("no signing key yet")
        return Response(keys["keys"][keys["current"]], mimetype="application/x-pem-file")
    return keys


@bp.get("/ledger/checkpoints")
@bp.arguments(PageQueryArgsSchema, location="query")
@bp.response(200, CheckpointListSchema)
def checkpoints(page: dict[str, Any]) -> dict[str, Any]:
    """A page of the signed checkpoints, oldest first, and how many there are."""
    return services().audit.checkpoint_page(**page)


@bp.get("/ledger/checkpoints/latest")
@bp.response(200, CheckpointSchema)
@bp.errors(404)
def latest_checkpoint() -> dict[str, Any]:
    """The latest signed checkpoint."""
    latest = services().audit.latest()
    if latest is None:
        raise NotFound("no checkpoint yet")
    return latest


@bp.get("/ledger/checkpoints/latest/note")
@bp.response(200, schema=TEXT, content_type="text/plain")
@bp.errors(404)
def latest_checkpoint_note() -> Response:
    """The latest checkpoint as a C2SP signed note (what a witness keeps; see
    ``govledger verify --against``)."""
    note = services().audit.export_checkpoints()
    if not note:
        raise NotFound("no checkpoint yet")
    return Response(note, mimetype="text/plain")


@bp.post("/ledger/checkpoints")
@bp.response(201, CheckpointSchema)
def seal_now() -> dict[str, Any]:
    """Seal new events and sign a checkpoint now (admins)."""
    with acting():
        services().audit.authorize_seal()
    return services().audit.seal(force=True)


@bp.get("/ledger/proofs/inclusion")
@bp.arguments(InclusionQuerySchema, location="query")
@bp.response(200, InclusionProofSchema)
@bp.errors(404)
def inclusion_proof(args: dict[str, Any]) -> dict[str, Any]:
    """The audit path of the event at ``position`` in the tree of ``tree_size`` events."""
    return services().audit.inclusion(**args)


@bp.get("/ledger/proofs/consistency")
@bp.arguments(ConsistencyQuerySchema, location="query")
@bp.response(200, ConsistencyProofSchema)
@bp.errors(404)
def consistency_proof(args: dict[str, Any]) -> dict[str, Any]:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
    return services().audit.consistency(**args)


@bp.get("/ledger/verify")
@bp.response(200, VerifyReportSchema)
def verify() -> dict[str, Any]:
    """Recompute every leaf from the stored events and check every checkpoint."""
    return services().audit.verify().as_dict()


@bp.get("/ledger/bundle")
@bp.arguments(BundleQuerySchema, location="query")
@bp.response(200, BINARY, content_type="application/zip",
             description="The zip: events, checkpoint, proofs, reports, verify_bundle.py")
def bundle(args: dict[str, Any]) -> Response:
    """Download a self-verifying compliance export (zip) for a period."""
    return bundle_response(args)


def bundle_response(args: dict[str, Any]) -> Response:
    """The zip for a loaded BundleQuerySchema (API and auditor page)."""
    from app.audit.bundle import build_bundle

    data, manifest = build_bundle(services(), args["start"], args["end"], args["full_prefix"],
                                  args.get("sample_size", 25), args.get("seed"))
    name = (f"govledger-bundle-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}.zip")
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={name}",
        "X-Bundle-Events": str(manifest["counts"]["events"])})


@bp.get("/ledger/sample")
@bp.arguments(SampleQuerySchema, location="query")
@bp.response(200, SampleSchema)
@bp.alt_response(200, schema=TEXT, content_type="text/csv", success=True,
                 description="The same sample as CSV (format=csv)")
def sample(args: dict[str, Any]) -> Any:
    """A reproducible seeded sample of the period's change requests, each with its evidence:
    the request, approvals (approver, function, time), segregation of duties, the freeze-window
    check and the implementation record; the seed and the population hash are in the answer.
    Drawn from a replay of the log up to the period's end, never the live read models."""
    return sample_response(args)


def sample_response(args: dict[str, Any]) -> Any:
    """The sample for a loaded SampleQuerySchema as JSON or a CSV attachment."""
    from app.audit.sampling import sample_changes, sample_csv

    result = sample_changes(services(), args["start"], args["end"], args["size"], args["seed"])
    if args["format"] != "csv":
        return result
    name = f"govledger-sample-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}-{result['seed']}.csv"
    return Response(sample_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={name}",
        "X-Sample-Seed": result["seed"], "X-Population-SHA256": result["population_sha256"]})


@bp.get("/entities/<entity_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def entity_history(entity_id: str) -> dict[str, Any]:
    """Every event of any entity (change request, meeting, schedule, incident ...), oldest
    first, with its position and inclusion in the latest checkpoint."""
    return history_page(LedgerAggregate, entity_id)
