"""Audit JSON API: public key, checkpoints, RFC 6962 proofs, verification, any entity's history,
compliance bundles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from app.audit.schemas import (
    BundleQuerySchema,
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    PublicKeySchema,
    VerifyReportSchema,
)
from app.schemas import HistorySchema
from domain.base import LedgerAggregate
from domain.errors import NotAuthenticated, NotFound, PermissionDenied
from web.api import openapi
from web.context import acting, can_write, services
from web.history import history_rows

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every call needs a valid bearer token."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@bp.before_app_request
def auditors_never_write() -> None:
    """Refuse every write under /api/v1 to read-only roles before any view runs (403), so write
    routes added by any area are covered without listing them."""
    user = g.get("user")
    if (user is not None and request.method in WRITE_METHODS
            and request.path.startswith("/api/v1/") and not can_write()):
        raise PermissionDenied("auditors and people without a role may not change anything",
                               code="read_only_role", roles=user["roles"])
    if request.method in WRITE_METHODS and request.args.get("as_of"):
        raise PermissionDenied("you are viewing the ledger as of a past moment; go back to now "
                               "to change anything", code="as_of_read_only")


@bp.get("/ledger/public-key")
def public_key() -> Any:
    """The checkpoint-signing public keys (``?format=pem``: the current key as PEM text)."""
    keys = services().audit.public_keys()
    if request.args.get("format") == "pem":
        if keys["current"] is None:
            raise NotFound("no signing key yet")
        return Response(keys["keys"][keys["current"]], mimetype="application/x-pem-file")
    return PublicKeySchema().dump(keys)


@bp.get("/ledger/checkpoints")
def checkpoints() -> dict[str, Any]:
    """Every signed checkpoint, oldest first."""
    return {"items": CheckpointSchema(many=True).dump(services().audit.checkpoints())}


@bp.get("/ledger/checkpoints/latest")
def latest_checkpoint() -> dict[str, Any]:
    """The latest signed checkpoint."""
    latest = services().audit.latest()
    if latest is None:
        raise NotFound("no checkpoint yet")
    return CheckpointSchema().dump(latest)


@bp.post("/ledger/checkpoints")
def seal_now() -> tuple[dict[str, Any], int]:
    """Seal new events and sign a checkpoint now (admins)."""
    with acting():
        services().audit.authorize_seal()
    return CheckpointSchema().dump(services().audit.seal(force=True)), 201


@bp.get("/ledger/proofs/inclusion")
def inclusion_proof() -> dict[str, Any]:
    """The audit path of the event at ``position`` in the tree of ``tree_size`` events."""
    args = InclusionQuerySchema().load(request.args.to_dict())
    return InclusionProofSchema().dump(services().audit.inclusion(**args))


@bp.get("/ledger/proofs/consistency")
def consistency_proof() -> dict[str, Any]:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
    args = ConsistencyQuerySchema().load(request.args.to_dict())
    return ConsistencyProofSchema().dump(services().audit.consistency(**args))


@bp.get("/ledger/verify")
def verify() -> dict[str, Any]:
    """Recompute every leaf from the stored events and check every checkpoint."""
    return VerifyReportSchema().dump(services().audit.verify().as_dict())


@bp.get("/ledger/bundle")
def bundle() -> Response:
    """Download a self-verifying compliance export (zip) for a period."""
    return bundle_response(BundleQuerySchema().load(request.args.to_dict()))


def bundle_response(args: dict[str, Any]) -> Response:
    """The zip for a loaded BundleQuerySchema (API and auditor page)."""
    from app.audit.bundle import build_bundle

    data, manifest = build_bundle(services(), args["start"], args["end"], args["full_prefix"])
    name = (f"govledger-bundle-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}.zip")
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={name}",
        "X-Bundle-Events": str(manifest["counts"]["events"])})


@bp.get("/entities/<entity_id>/history")
def entity_history(entity_id: str) -> dict[str, Any]:
    """Every event of any entity (change request, meeting, schedule, incident ...), oldest
    first, with its position and inclusion in the latest checkpoint."""
    return HistorySchema().dump({"events": history_rows(LedgerAggregate, entity_id)})


def _query(name: str, kind: str = "integer", required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind}}


openapi.add({
    "/ledger/public-key": {"get": {
        "summary": "Checkpoint-signing public keys (PEM; ?format=pem for the current key)",
        "tags": ["audit"], "parameters": [_query("format", "string", False)],
        "responses": openapi.responses("200", "PublicKey", "Keys by id", ("401",))}},
    "/ledger/checkpoints": {
        "get": {"summary": "Signed checkpoints, oldest first", "tags": ["audit"],
                "responses": openapi.responses("200", None, "Checkpoints", ("401",))},
        "post": {"summary": "Sign a checkpoint now (admin)", "tags": ["audit"],
                 "responses": openapi.responses("201", "Checkpoint", "The new checkpoint",
                                                ("401", "403"))}},
    "/ledger/checkpoints/latest": {"get": {
        "summary": "The latest signed checkpoint", "tags": ["audit"],
        "responses": openapi.responses("200", "Checkpoint", "Checkpoint", ("401", "404"))}},
    "/ledger/proofs/inclusion": {"get": {
        "summary": "RFC 6962 inclusion proof (audit path) of the event at a position",
        "tags": ["audit"], "parameters": [_query("position"), _query("tree_size", required=False)],
        "responses": openapi.responses("200", "InclusionProof", "Audit path",
                                       ("401", "404", "422"))}},
    "/ledger/proofs/consistency": {"get": {
        "summary": "RFC 6962 consistency proof between two tree sizes", "tags": ["audit"],
        "parameters": [_query("first"), _query("second")],
        "responses": openapi.responses("200", "ConsistencyProof", "Proof",
                                       ("401", "404", "422"))}},
    "/ledger/verify": {"get": {
        "summary": "Recompute the whole ledger and check every checkpoint", "tags": ["audit"],
        "responses": openapi.responses("200", "VerifyReport", "Report (ok false when tampered)",
                                       ("401",))}},
    "/ledger/bundle": {"get": {
        "summary": "Compliance export bundle (zip): events, checkpoint, proofs, reports, "
                   "verify_bundle.py", "tags": ["audit"],
        "parameters": [_query("from", "string"), _query("to", "string"),
                       _query("full_prefix", "boolean", False)],
        "responses": {**openapi.responses("200", None, "", ("401", "422")),
                      "200": {"description": "The zip", "content": {"application/zip": {
                          "schema": {"type": "string", "format": "binary"}}}}}}},
    "/entities/{entity_id}/history": {"get": {
        "summary": "Every event of any entity, oldest first", "tags": ["audit"],
        "parameters": [{"name": "entity_id", "in": "path", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": openapi.responses("200", "History", "Events, oldest first",
                                       ("401", "404"))}},
}, {"PublicKey": PublicKeySchema, "Checkpoint": CheckpointSchema,
    "InclusionProof": InclusionProofSchema, "ConsistencyProof": ConsistencyProofSchema,
    "VerifyReport": VerifyReportSchema})
