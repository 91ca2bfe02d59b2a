"""Schemas of people: registration, the person as shown, and the sign-in form."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
    validate,
)

from app.schemas import FormSchema, String, Text
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
    """The new-token form: a label to recognise the token by."""

    label = Text(load_default="web", validate=validate.Length(min=1, max=100))


class PersonSchema(Schema):
    """A person as shown to clients."""

    id = String(dump_only=True)
    name = String()
    email = String()
    function = String()
    roles = fields.List(String())
    active = fields.Boolean()


class PersonCreatedSchema(Schema):
    """A registered person's id and first API token (shown once)."""

    id = String()
    token = String()


class LoginSchema(FormSchema):
    """Web login form."""

    email = fields.Email(required=True)
    password = String(required=True, validate=validate.Length(min=1))
