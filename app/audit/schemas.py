"""Schemas of the audit API: proof queries and answers, checkpoints, verification, as-of."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from app.schemas import Integer, String, when


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

    @post_load
    def moments(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dates mean whole days (from the start of ``from`` to the end of ``to``), UTC."""
        from app.audit.bundle import parse_moment

        data["start"] = parse_moment(data["start"], "from")
        data["end"] = parse_moment(data["end"], "to", end=True)
        if data["end"] < data["start"]:
            raise ValidationError("must be after from", "to")
        return data
