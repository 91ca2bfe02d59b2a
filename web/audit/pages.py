"""Auditor pages: checkpoints and public key, and the ledger verification with progress."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from app.audit.schemas import AsOfSchema, BundleQuerySchema, InclusionQuerySchema
from domain.audit import merkle
from web.context import current_as_of, login_required, services
from web.forms import validate

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from app.bootstrap import Services

bp = Blueprint("audit", __name__, url_prefix="/audit")

_JOBS: dict[str, dict[str, Any]] = {}
_LOCK = threading.Lock()


@bp.before_app_request
def remember_as_of() -> None:
    """Pages: the as-of picker's choice sticks (in the session) until "back to now"."""
    if request.path.startswith("/api/") or "as_of" not in request.args:
        return
    raw = request.args["as_of"]
    if not raw:
        session.pop("as_of", None)
        return
    moment, _ = validate(AsOfSchema(), {"as_of": raw})
    if moment is not None:  # else the view reports it (422 naming as_of)
        session["as_of"] = raw


@bp.app_context_processor
def as_of_context() -> dict[str, Any]:
    """``view_as_of`` for the banner and the picker."""
    try:
        return {"view_as_of": current_as_of()}
    except ValidationError:
        return {"view_as_of": None}


@bp.get("/")
@login_required
def index() -> str:
    """Checkpoints, the public keys and the verify button."""
    sealer = services().audit
    return render_template("audit/index.html", checkpoints=sealer.checkpoint_page(
                               limit=20, newest_first=True)["items"],
                           keys=sealer.public_keys(), sealed=sealer.sealed_size(),
                           head=services().ledger.recorder.max_notification_id() or 0)


@bp.get("/bundle")
@login_required
def bundle() -> Any:
    """Download the compliance export for the period in the form."""
    from web.audit.api import bundle_response

    return bundle_response(BundleQuerySchema().load(request.args.to_dict()))


@bp.get("/proofs/<int:position>")
@login_required
def proof(position: int) -> str:
    """An event's inclusion proof, checked here against the signed checkpoint of that size."""
    sealer = services().audit
    args = InclusionQuerySchema().load({**request.args.to_dict(), "position": position})
    result = sealer.inclusion(**args)
    signed = sealer.checkpoint_of_size(result["tree_size"])
    ok = signed is not None and merkle.verify_inclusion(
        bytes.fromhex(result["leaf_hash"]), result["leaf_index"], result["tree_size"],
        [bytes.fromhex(p) for p in result["audit_path"]], bytes.fromhex(signed["root_hash"]))
    return render_template("audit/proof.html", proof=result, checkpoint=signed, ok=ok)


@bp.post("/verify")
@login_required
def start_verify() -> Response:
    """Start verifying the whole ledger in the background (read-only: auditors may)."""
    job_id = uuid.uuid4().hex
    total = services().ledger.recorder.max_notification_id() or 0
    job = {"id": job_id, "done": 0, "total": total, "report": None, "error": None}
    with _LOCK:
        _JOBS[job_id] = job
        for old in list(_JOBS)[:-20]:
            _JOBS.pop(old, None)
    threading.Thread(target=_run, args=(services(), job), daemon=True).start()
    return redirect(url_for("audit.verify_job", job_id=job_id))


def _run(svc: Services, job: dict[str, Any]) -> None:
    def advance(n: int) -> None:
        job["done"] += n

    try:
        job["report"] = svc.audit.verify(progress=advance)
    except Exception as exc:  # noqa: BLE001 - shown on the page
        job["error"] = str(exc)


@bp.get("/verify/<job_id>")
@login_required
def verify_job(job_id: str) -> str:
    """Progress of a verification (the page refreshes itself until it is done)."""
    job = _JOBS.get(job_id)
    if job is None:
        abort(404)
    return render_template("audit/verify.html", job=job)
