"""Schemas of people: registration, the person as shown, and the sign-in form."""

from __future__ import annotations

from marshmallow import (
    fields,
    validate,
)

from app.people.time_zones import check_time_zone
from app.schemas import FormSchema, Schema, String, Text, when
from domain.people.person import FUNCTIONS, ROLES


class PersonInputSchema(Schema):
    """A new person (admin form, API, CLI)."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    function = String(required=True, validate=validate.OneOf(FUNCTIONS))
    role = String(load_default="member", validate=validate.OneOf(ROLES))
    password = String(load_default=None, allow_none=True,
                             validate=validate.Length(min=12, max=200), load_only=True)


class PersonFormSchema(FormSchema, PersonInputSchema):
    """The admin's add-a-person form (a blank password: API-only)."""


class TokenFormSchema(FormSchema):
    """The new-token form: a label to recognise the token by, and an optional expiry."""

    label = Text(load_default="web", validate=validate.Length(min=1, max=100))
    expires_at = when(load_default=None, allow_none=True)


class AccessReasonSchema(Schema):
    """A write that only takes an optional reason (recorded on its event)."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AccessReasonFormSchema(FormSchema, AccessReasonSchema):
    """A button form with an optional reason."""


class RoleChangeSchema(AccessReasonSchema):
    """The role a person should hold from now on, and why."""

    role = String(required=True, validate=validate.OneOf(ROLES))


class RoleChangeFormSchema(FormSchema, RoleChangeSchema):
    """The admin's change-role form."""


class TokenInputSchema(AccessReasonSchema):
    """A new API token: a name to recognise it by, and an optional expiry."""

    name = Text(load_default="api", validate=validate.Length(min=1, max=100))
    expires_at = when(load_default=None, allow_none=True)


class TokenSchema(Schema):
    """An API token as listed: its id (embedded in the token), never its secret."""

    id = String(dump_only=True)
    person_id = String(dump_only=True)
    name = String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreatedSchema(TokenSchema):
    """A newly issued token, with the token itself (shown once)."""

    token = String()


class PasswordChangeSchema(Schema):
    """A person's own password change: the current one is required."""

    current_password = String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=200))
    new_password = String(required=True, load_only=True,
                                 validate=validate.Length(min=12, max=200))


class PasswordChangeFormSchema(FormSchema, PasswordChangeSchema):
    """The change-my-password form."""


class PersonSchema(Schema):
    """A person as shown to clients."""

    id = String(dump_only=True)
    name = String()
    email = String()
    function = String()
    roles = fields.List(String())
    active = fields.Boolean()
    sign_in_locked_until = fields.DateTime(allow_none=True, metadata={
        "description": "when a lock after repeated failed sign-ins runs out (it may be past)"})
    time_zone = String(metadata={
        "description": "the IANA time zone the person's pages show times in and read typed "
                       "times in (UTC until they choose one); the API always speaks UTC"})


class TimeZoneSchema(Schema):
    """The signed-in person's choice of time zone (``PATCH /api/v1/me``)."""

    time_zone = Text(required=True, validate=[validate.Length(min=1, max=64), check_time_zone],
                     metadata={
                         "description": "an IANA time zone name: UTC, Europe/Berlin, …"})


class TimeZoneFormSchema(FormSchema, TimeZoneSchema):
    """The profile page's time-zone form."""


class PersonCreatedSchema(Schema):
    """A registered person's id and first API token (shown once)."""

    id = String()
    token = String()


class LoginSchema(FormSchema):
    """Web login form."""

    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = String(required=True, validate=validate.Length(min=1))
