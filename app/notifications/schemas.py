"""Marshmallow schemas of notifications: webhooks, integrations, deliveries, preferences and
the inbound alert payloads (Alertmanager webhook v4, PagerDuty Events API v2)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from app.schemas import Integer, Schema, String, Text
from domain.notifications.integration import ACTIONS, KINDS
from domain.notifications.preferences import EMAIL_KINDS
from domain.notifications.webhook import ALL, EVENT_NAMES, FORMATS

PD_SEVERITIES = ("critical", "error", "warning", "info")


class WebhookInputSchema(Schema):
    """A webhook: where to POST, which event names (``*``: all), the signing secret."""

    url = String(required=True, validate=[validate.Length(max=2000),
                                          validate.URL(schemes={"http", "https"},
                                                       require_tld=False)])
    events = fields.List(String(validate=validate.OneOf([ALL, *EVENT_NAMES])), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_NAMES) + 1))
    secret = String(required=True, load_only=True, validate=validate.Length(min=16, max=200))
    format = String(load_default="json", validate=validate.OneOf(FORMATS),
                    metadata={"description": "json (signed ledger body) or slack "
                                             "(Slack/Mattermost incoming-webhook body)"})
    description = Text(load_default="", validate=validate.Length(max=500))


class WebhookSchema(Schema):
    """A registered webhook (its secret is never shown)."""

    id = fields.String(dump_only=True)
    url = fields.String()
    events = fields.List(fields.String(validate=validate.OneOf([ALL, *EVENT_NAMES])))
    format = fields.String()
    description = fields.String()
    active = fields.Boolean()
    registered_at = fields.DateTime()


class AttemptSchema(Schema):
    """One delivery attempt."""

    attempt = fields.Integer()
    at = fields.DateTime()
    outcome = fields.String(metadata={"enum": ["delivered", "failed", "gave_up"]})
    detail = fields.String()
    retry_at = fields.DateTime(allow_none=True)


class DeliverySchema(Schema):
    """One notification on one channel, with its attempts."""

    id = fields.String()
    kind = fields.String()
    channel = fields.String()
    recipient_id = fields.String(allow_none=True)
    subject_type = fields.String()
    subject_id = fields.String()
    title = fields.String()
    status = fields.String(metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = fields.Integer()
    queued_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class DeliveryQueryArgsSchema(Schema):
    """Paging through deliveries, newest first."""

    limit = Integer(load_default=50, validate=validate.Range(min=1, max=500))


class IntegrationInputSchema(Schema):
    """A new alert integration for a rotation."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    rotation_id = fields.UUID(required=True)
    kind = String(required=True, validate=validate.OneOf(KINDS))


class IntegrationSchema(Schema):
    """An integration (``key`` only in the answer that created it)."""

    id = fields.String(dump_only=True)
    name = fields.String()
    rotation_id = fields.String()
    kind = fields.String()
    key = fields.String(metadata={"description": "shown once, when the integration is created; "
                                                 "only its hash is kept"})
    created_at = fields.DateTime()
    alerts = fields.Integer()


class PreferencesInputSchema(Schema):
    """The kinds of email a person does not want (paging cannot be muted while on call)."""

    muted = fields.List(String(validate=validate.OneOf(EMAIL_KINDS)), required=True,
                        validate=validate.Length(max=len(EMAIL_KINDS)))


class PreferencesSchema(Schema):
    """A person's notification preferences."""

    person_id = fields.String()
    muted = fields.List(fields.String(validate=validate.OneOf(EMAIL_KINDS)))


# -- inbound alerts ------------------------------------------------------------------------------

def string_map(max_items: int = 64) -> fields.Dict:
    """A JSON object of string names to string values."""
    return fields.Dict(keys=String(validate=validate.Length(min=1, max=200)),
                       values=String(validate=validate.Length(max=2000)),
                       validate=validate.Length(max=max_items), load_default=dict)


class AlertmanagerAlertSchema(Schema):
    """One alert of an Alertmanager notification."""

    class Meta:
        unknown = EXCLUDE

    status = String(required=True, validate=validate.OneOf(("firing", "resolved")))
    labels = string_map()
    annotations = string_map()
    fingerprint = String(validate=validate.Length(min=1, max=255))
    startsAt = String(validate=validate.Length(max=64))  # noqa: N815 - Alertmanager's name
    endsAt = String(validate=validate.Length(max=64))  # noqa: N815
    generatorURL = String(validate=validate.Length(max=2000))  # noqa: N815


class AlertmanagerSchema(Schema):
    """Alertmanager's webhook payload (version 4); fields it adds later are ignored."""

    class Meta:
        unknown = EXCLUDE

    version = String(validate=validate.Equal("4"))
    status = String(validate=validate.OneOf(("firing", "resolved")))
    receiver = String(validate=validate.Length(max=500))
    groupKey = String(validate=validate.Length(max=2000))  # noqa: N815 - Alertmanager's name
    commonLabels = string_map()  # noqa: N815
    commonAnnotations = string_map()  # noqa: N815
    externalURL = String(validate=validate.Length(max=2000))  # noqa: N815
    alerts = fields.List(fields.Nested(AlertmanagerAlertSchema), required=True,
                         validate=validate.Length(min=1, max=500))


class AlertmanagerQueryArgsSchema(Schema):
    """The integration key, as ``?key=`` (or sent as ``Authorization: Bearer <key>``)."""

    key = String(load_default=None, validate=validate.Length(max=200))


class PagerDutyPayloadSchema(Schema):
    """The ``payload`` of an Events v2 trigger."""

    class Meta:
        unknown = EXCLUDE

    summary = String(required=True, validate=validate.Length(min=1, max=1024))
    source = String(required=True, validate=validate.Length(min=1, max=255))
    severity = String(required=True, validate=validate.OneOf(PD_SEVERITIES))
    timestamp = String(validate=validate.Length(max=64))
    component = String(validate=validate.Length(max=255))
    group = String(validate=validate.Length(max=255))
    class_ = String(data_key="class", validate=validate.Length(max=255))
    custom_details = fields.Dict(keys=String(validate=validate.Length(max=200)),
                                 validate=validate.Length(max=64))


class PagerDutyEventSchema(Schema):
    """A PagerDuty Events API v2 event (``routing_key`` is the integration key)."""

    class Meta:
        unknown = EXCLUDE

    routing_key = String(required=True, validate=validate.Length(min=1, max=200))
    event_action = String(required=True, validate=validate.OneOf(ACTIONS))
    dedup_key = String(validate=validate.Length(min=1, max=255))
    payload = fields.Nested(PagerDutyPayloadSchema)
    client = String(validate=validate.Length(max=500))
    client_url = String(validate=validate.Length(max=2000))

    @validates_schema
    def check_action(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A trigger needs a payload; acknowledge and resolve need the dedup key."""
        if data.get("event_action") == "trigger" and "payload" not in data:
            raise ValidationError("a trigger needs a payload", "payload")
        if data.get("event_action") in ("acknowledge", "resolve") and not data.get("dedup_key"):
            raise ValidationError("acknowledge and resolve need the dedup_key", "dedup_key")


class AlertResultSchema(Schema):
    """What one alert did."""

    dedup_key = fields.String()
    outcome = fields.String(metadata={"enum": ["opened", "added_to_timeline", "acknowledged",
                                               "resolved", "recorded"]})
    incident_id = fields.String(allow_none=True)


class AlertmanagerResultSchema(Schema):
    """What each alert of the notification did."""

    alerts = fields.List(fields.Nested(AlertResultSchema))


class PagerDutyResultSchema(Schema):
    """The Events v2 answer (PagerDuty's shape, with the incident)."""

    status = fields.String()
    message = fields.String()
    dedup_key = fields.String()
    outcome = fields.String()
    incident_id = fields.String(allow_none=True)


class CalendarFeedSchema(Schema):
    """A secret calendar feed URL (the token is shown once, when issued)."""

    person_id = fields.String()
    token = fields.String()
    path = fields.String(metadata={"description": "the feed's path on this service"})
    url = fields.String(metadata={"description": "absolute when GOVLEDGER_PUBLIC_URL is set"})


class RevokedSchema(Schema):
    """A revoked calendar feed."""

    person_id = fields.String()
    revoked = fields.Boolean()
