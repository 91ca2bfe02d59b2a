"""Schemas of the audit API: proof queries and answers, checkpoints, verification, as-of."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from app.schemas import Integer, Schema, String, when


class InclusionQuerySchema(Schema):
    """``position`` (notification id) and an optional ``tree_size`` (default: sealed size)."""

    class Meta:
        unknown = EXCLUDE

    position = Integer(required=True, validate=validate.Range(min=1))
    tree_size = Integer(load_default=None, validate=validate.Range(min=1))


class ConsistencyQuerySchema(Schema):
    """Two tree sizes, ``first`` <= ``second``."""

    class Meta:
        unknown = EXCLUDE

    first = Integer(required=True, validate=validate.Range(min=0))
    second = Integer(required=True, validate=validate.Range(min=0))

    @validates_schema
    def check_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The first tree cannot be larger than the second."""
        if data.get("first", 0) > data.get("second", 0):
            raise ValidationError("must be at least first", "second")


class InclusionProofSchema(Schema):
    """An RFC 6962 audit path (hashes in hex)."""

    position = Integer()
    leaf_index = Integer()
    tree_size = Integer()
    leaf_hash = String()
    root_hash = String()
    audit_path = fields.List(String())


class ConsistencyProofSchema(Schema):
    """An RFC 6962 consistency proof (hashes in hex)."""

    first = Integer()
    second = Integer()
    first_root = String()
    second_root = String()
    proof = fields.List(String())


class CheckpointSchema(Schema):
    """A signed checkpoint: ``body`` is the signed note, ``signature`` base64 Ed25519."""

    id = Integer()
    tree_size = Integer()
    root_hash = String()
    issued_at = String()
    key_id = String()
    body = String()
    signature = String()


class PublicKeySchema(Schema):
    """The current checkpoint-signing key and every earlier one (PEM)."""

    current = String(allow_none=True)
    keys = fields.Dict(keys=String(), values=String())


class PublicKeyQueryArgsSchema(Schema):
    """``format``: ``json`` (every key) or ``pem`` (the current key as PEM text)."""

    class Meta:
        unknown = EXCLUDE

    format = String(load_default="json", validate=validate.OneOf(("json", "pem")))


class ProblemSchema(Schema):
    """One problem verification found."""

    kind = String()
    position = Integer(allow_none=True)
    detail = String()
    checkpoint = Integer(allow_none=True)
    checkpoint_time = String(allow_none=True)


class VerifyReportSchema(Schema):
    """The result of recomputing the ledger."""

    ok = fields.Boolean()
    events = Integer()
    sealed = Integer()
    checkpoints = Integer()
    first_bad_position = Integer(allow_none=True)
    first_bad_checkpoint = Integer(allow_none=True)
    next_step = String(allow_none=True)
    problems = fields.List(fields.Nested(ProblemSchema))


class AsOfSchema(Schema):
    """``as_of``: an ISO 8601 moment (UTC when no offset is given)."""

    class Meta:
        unknown = EXCLUDE

    as_of = when(load_default=None, allow_none=True)


class BundleQuerySchema(Schema):
    """The period of a compliance export."""

    class Meta:
        unknown = EXCLUDE

    start = String(required=True, data_key="from")
    end = String(required=True, data_key="to")
    full_prefix = fields.Boolean(load_default=False)
    sample_size = Integer(load_default=25, validate=validate.Range(min=1, max=1000))
    seed = String(load_default=None, allow_none=True, validate=[
        validate.Length(min=1, max=100),
        validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="letters, digits and . _ : - only")])

    @post_load
    def moments(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dates mean whole days (from the start of ``from`` to the end of ``to``), UTC."""
        from app.audit.bundle import parse_moment

        data["start"] = parse_moment(data["start"], "from")
        data["end"] = parse_moment(data["end"], "to", end=True)
        if data["end"] < data["start"]:
            raise ValidationError("must not be before the from date", "to")
        return data


class SampleQuerySchema(Schema):
    """An auditor's sample: the period, how many changes, the seed (a fresh one when absent)
    and ``format`` (``json`` or ``csv``)."""

    class Meta:
        unknown = EXCLUDE

    start = String(required=True, data_key="from")
    end = String(required=True, data_key="to")
    size = Integer(load_default=25, validate=validate.Range(min=1, max=1000))
    seed = String(load_default=None, allow_none=True, validate=[
        validate.Length(min=1, max=100),
        validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="letters, digits and . _ : - only")])
    format = String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @post_load
    def moments(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dates mean whole days, as for bundles."""
        return BundleQuerySchema.moments(self, data, **kwargs)  # type: ignore[arg-type]


class SampleApprovalSchema(Schema):
    """One approving vote or approval: who, in what function and capacity, when."""

    approver_id = String()
    approver = String()
    function = String()
    capacity = String()
    at = String()
    decision = String()
    outcome = String()
    decided_by = String()


class SampleItemSchema(Schema):
    """One sampled change with its walk-through evidence."""

    rank = Integer()
    selection_key = String()
    change_id = String()
    title = String()
    category = String()
    risk = String()
    systems = fields.List(String())
    status = String()
    requester = String()
    requester_id = String()
    requester_function = String()
    submitted_at = String()
    planned_start = String()
    planned_end = String()
    approvals = fields.List(fields.Nested(SampleApprovalSchema))
    segregation_of_duties = String(metadata={"description": "pass, FAIL or n/a"})
    segregation_detail = String()
    freeze_window = String(metadata={"description": "pass, FAIL or exempt (emergency)"})
    freeze_detail = String()
    implementation = String()


class SampleSchema(Schema):
    """A reproducible seeded sample of a period's change requests (see docs/AUDIT.md)."""

    seed = String()
    period = fields.Dict(keys=String(), values=String())
    population = Integer()
    population_sha256 = String()
    size = Integer()
    sampled = Integer()
    method = String()
    replayed_to = Integer(allow_none=True)
    items = fields.List(fields.Nested(SampleItemSchema))
