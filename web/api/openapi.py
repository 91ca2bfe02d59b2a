"""The OpenAPI 3 document of the JSON API, generated from the same marshmallow schemas."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify, render_template

from app import schemas
from app.changes import schemas as change_schemas
from app.people import schemas as people_schemas

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERRORS = {
    "401": "No valid bearer token",
    "403": "The token's role may not do this",
    "404": "Unknown id",
    "409": "A governance rule refused the command (the code names the rule)",
    "422": "Invalid input; details map each field to its messages",
}


def responses(success: str, schema: str | None, description: str,
               errors: tuple[str, ...]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": description}
    if schema:
        ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {success: ok, **{code: {"description": ERRORS[code], **err} for code in errors}}


def body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ID = [{"name": "change_id", "in": "path", "required": True, "schema": {"type": "string",
                                                                          "format": "uuid"}}]

PATHS: dict[str, dict[str, Any]] = {
    "/me": {"get": {"summary": "The person the token belongs to", "tags": ["people"],
                    "responses": responses("200", "Person", "The person", ("401",))}},
    "/people": {
        "get": {"summary": "List people", "tags": ["people"],
                "responses": responses("200", None, "People", ("401",))},
        "post": {"summary": "Register a person (admin)", "tags": ["people"],
                 "requestBody": body("PersonInput"),
                 "responses": responses("201", None, "Id and first token",
                                         ("401", "403", "409", "422"))}},
    "/change-requests": {
        "get": {"summary": "List change requests", "tags": ["change requests"],
                "parameters": [{"in": "query", "schema": change_schemas.ChangeRequestQueryArgsSchema}],
                "responses": responses("200", "ChangeRequestPage", "A page", ("401", "422"))},
        "post": {"summary": "Submit a change request", "tags": ["change requests"],
                 "requestBody": body("ChangeRequestInput"),
                 "responses": responses("201", "ChangeRequest", "Submitted",
                                         ("401", "403", "409", "422"))}},
    "/change-requests/{change_id}": {"get": {
        "summary": "One change request", "tags": ["change requests"], "parameters": ID,
        "responses": responses("200", "ChangeRequest", "The change request", ("401", "404"))}},
    "/change-requests/{change_id}/withdraw": {"post": {
        "summary": "Withdraw (requester only, before a decision)", "tags": ["change requests"],
        "parameters": ID, "requestBody": {**body("Withdraw"), "required": False},
        "responses": responses("200", "ChangeRequest", "Withdrawn",
                                ("401", "403", "404", "409", "422"))}},
    "/change-requests/{change_id}/history": {"get": {
        "summary": "Every event of a change request", "tags": ["change requests", "audit"],
        "parameters": ID,
        "responses": responses("200", "History", "Events, oldest first", ("401", "404"))}},
}

COMPONENTS = {
    "Error": schemas.ErrorSchema, "Person": people_schemas.PersonSchema,
    "PersonInput": people_schemas.PersonInputSchema, "ChangeRequest": change_schemas.ChangeRequestSchema,
    "ChangeRequestInput": change_schemas.ChangeRequestInputSchema,
    "ChangeRequestPage": change_schemas.ChangeRequestPageSchema, "Withdraw": change_schemas.WithdrawSchema,
    "History": schemas.HistorySchema,
}


def add(paths: dict[str, dict[str, Any]], components: dict[str, Any]) -> None:
    """Register an area's API paths and schemas (called when its blueprint module is imported)."""
    PATHS.update(paths)
    COMPONENTS.update(components)


def build_spec() -> dict[str, Any]:
    """Build the OpenAPI document."""
    spec = APISpec(title="Governance Ledger API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Every write is an immutable event. Authenticate with "
                                        "`Authorization: Bearer <token>`."},
                   servers=[{"url": "/api/v1"}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in PATHS.items():
        spec.path(path=path, operations={k: {**v, "security": [{"bearer": []}]}
                                         for k, v in operations.items()})
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """Serve the OpenAPI document."""
    return jsonify(build_spec())


@bp.get("/docs")
def docs() -> str:
    """Human-readable API reference, rendered from the OpenAPI document."""
    return render_template("api_docs.html", spec=build_spec())
