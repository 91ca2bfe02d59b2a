"""Auditor pages: checkpoints and public key, and the ledger verification with progress."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from app.audit.schemas import (
    AsOfSchema,
    BundleQuerySchema,
    InclusionQuerySchema,
    SampleQuerySchema,
)
from domain.audit import merkle
from domain.errors import InvalidInput, PermissionDenied
from web.context import current_as_of, login_required, services
from web.forms import validate
from web.messages import field_errors

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
    return _index({}, {})


def _index(bundle_errors: dict[str, Any], bundle_form: dict[str, Any]) -> str:
    sealer = services().audit
    sealer.index()  # finds (and keeps in ``blocked``) an event the sealer refuses
    try:
        keys = sealer.public_keys()
    except Exception as exc:  # noqa: BLE001 - a forged keyring event: the page still shows
        keys = {"current": None, "keys": {}, "error": f"{type(exc).__name__}: {exc}"}
    return render_template("audit/index.html", checkpoints=sealer.checkpoint_page(
                               limit=20, newest_first=True)["items"],
                           blocked=sealer.blocked,
                           keys=keys, sealed=sealer.sealed_size(),
                           head=services().ledger.recorder.max_notification_id() or 0,
                           witnessed=sealer.witnesses.last_witnessed(),
                           witnesses=sealer.witnesses.status(),
                           bundle_errors=bundle_errors, bundle_form=bundle_form)


@bp.get("/bundle")
@login_required
def bundle() -> Any:
    """Download the compliance export for the period in the form."""
    from web.audit.api import bundle_response

    try:
        args, errors = validate(BundleQuerySchema(), request.args.to_dict())
    except InvalidInput as exc:  # a date that does not parse
        args, errors = None, field_errors(None, dict(exc.details))
    if args is None:  # the audit page again, with the message next to the period
        return _index(errors, request.args.to_dict()), 422
    return bundle_response(args)


@bp.get("/sample")
@login_required
def sample() -> Any:
    """The auditor's sample: a seeded random sample of a period's changes with their evidence
    (``format=csv`` downloads it)."""
    from app.audit.sampling import sample_changes

    if "from" not in request.args:
        return render_template("audit/sample.html", sample=None, errors={}, form={})
    args, errors = validate(SampleQuerySchema(), request.args.to_dict())
    if args is None:
        return render_template("audit/sample.html", sample=None, errors=errors,
                               form=request.args), 422
    if args["format"] == "csv":
        from web.audit.api import sample_response

        return sample_response(args)
    result = sample_changes(services(), args["start"], args["end"], args["size"], args["seed"])
    return render_template("audit/sample.html", sample=result, errors={},
                           form={**request.args.to_dict(), "seed": result["seed"]})


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


@bp.post("/read-models")
@login_required
def start_read_model_check() -> Response:
    """Replay the log into a scratch database and compare every read-model table with the
    live one, in the background (the check of ``govledger verify --read-models``); auditors
    and admins."""
    if not {"auditor", "admin"} & set(g.user["roles"]):
        raise PermissionDenied("checking the read models is for auditors and admins",
                               code="role_required", required=["auditor", "admin"])
    job_id = uuid.uuid4().hex
    job = {"id": job_id, "kind": "read_models", "done": 0, "replayed_to": None,
           "differences": None, "error": None}
    with _LOCK:
        _JOBS[job_id] = job
        for old in list(_JOBS)[:-20]:
            _JOBS.pop(old, None)
    threading.Thread(target=_compare, args=(services(), job), daemon=True).start()
    return redirect(url_for("audit.read_model_job", job_id=job_id))


def _compare(svc: Services, job: dict[str, Any]) -> None:
    try:
        job["replayed_to"], job["differences"] = svc.as_of.compare_with_live()
    except Exception as exc:  # noqa: BLE001 - shown on the page
        job["error"] = str(exc)


@bp.get("/read-models/<job_id>")
@login_required
def read_model_job(job_id: str) -> str:
    """The read-model check's result (the page refreshes itself until it is done)."""
    job = _JOBS.get(job_id)
    if job is None or job.get("kind") != "read_models":
        abort(404)
    return render_template("audit/read_models.html", job=job)
