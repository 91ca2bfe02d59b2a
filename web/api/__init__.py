"""The JSON API under /api/v1: the parent blueprint every area's API nests in, with the one
guard (bearer token, CSRF exemption, no writes by read-only roles); the area blueprint class
whose decorators describe each view; the request parser that keeps the one error shape; and
``init_app``, which builds the flask-smorest ``Api`` that turns those views into the OpenAPI
document."""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow import resolver as default_name
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import current_app, g, request
from flask_smorest.spec.plugins import FlaskPlugin
from flask_smorest.utils import prepare_response
from marshmallow import ValidationError, fields
from webargs import core
from webargs.flaskparser import FlaskParser

from app.schemas import ErrorSchema, Schema
from domain.errors import NotAuthenticated, PermissionDenied
from web import idempotency
from web.context import WRITE_METHODS, can_write, services
from web.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from flask import Flask
    from flask_wtf.csrf import CSRFProtect

PREFIX = "/api/v1"
ERRORS = {
    400: "The body is not valid JSON",
    401: "No valid bearer token",
    403: "The token's role may not do this (auditors never write)",
    404: "Unknown id",
    409: "A governance rule refused the command (the code names the rule)",
    422: "Invalid input; details map each field to its messages",
}
DESCRIPTION = (
    "Every write is an immutable event. Authenticate with `Authorization: Bearer <token>` "
    "(calendar feeds also take `?token=`). Reads take `?as_of=<ISO 8601>` to see the ledger as "
    "it stood then; writes are refused while viewing the past. Lists answer one page: "
    '`{"items": […], "total": n, "limit": l, "offset": o}` — `?limit=` (default 50, a larger one '
    "is clamped to the list's cap) and `?offset=` choose it, `total` counts every match. "
    'Errors always have the shape `{"error": {"code": "…", "message": "…", "details": {…}}}`.')

bp = flask_smorest.Blueprint("api", __name__, url_prefix=PREFIX,
                             description="The Governance Ledger JSON API")


@bp.before_request
def guard() -> None:
    """Every call needs a valid bearer token, and read-only roles never write: refused (403)
    before any view runs, so write routes added by any area are covered without listing them.
    A view registered with ``public=True`` (the health check) needs no token."""
    if getattr(current_app.view_functions.get(request.endpoint or ""), "public", False):
        return
    if g.get("user") is None and request.path.endswith(".ics"):
        calendar_token()
    user = g.get("user")
    if user is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")
    if request.method in WRITE_METHODS and not can_write() and not _self_service():
        raise PermissionDenied("auditors and people without a role may not change anything",
                               code="read_only_role", roles=user["roles"])


def self_service(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a write view any signed-in person may call on their own access (auditors manage
    their own tokens too); the use case itself checks it is their own (or an admin's)."""
    view.self_service = True  # type: ignore[attr-defined]
    return view


def _self_service() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "self_service", False))


bp.before_request(idempotency.api_key)  # after the guard: keys are per person


def calendar_token() -> None:
    """Calendar clients cannot send headers: feeds take the token as ``?token=``."""
    token = request.args.get("token")
    person_id = services().people.authenticate_token(token) if token else None
    person = services().people.get_person(person_id) if person_id else None
    g.user = person if person and person["active"] else None


class Parser(FlaskParser):
    """Loads bodies and query strings the way every view always has: a missing body is ``{}``,
    an unreadable one is a 400 ``malformed_json``, a body that is not an object (or array, for a
    ``many`` schema) is a 422 naming the body, and each schema's own ``unknown`` setting holds.
    Validation errors are raised as marshmallow's, for the app's one error handler."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}  # noqa: RUF012 - webargs' API

    def load_json(self, req: Any, schema: Schema) -> Any:
        """The JSON body (``missing`` when there is none)."""
        data = req.get_json(silent=True)
        if data is None and req.get_data():
            raise ApiError(400, "malformed_json", "the request body is not valid JSON")
        if data is None:
            return core.missing
        if not isinstance(data, list if schema.many else dict):
            raise ValidationError({"_schema": [
                "the body must be a JSON " + ("array" if schema.many else "object")]})
        return data

    def load_querystring(self, req: Any, schema: Schema) -> Any:
        """The query string, one value per name (as ``request.args.to_dict()``)."""
        return req.args.to_dict()

    def handle_error(self, error: ValidationError, req: Any, schema: Schema, *,
                     error_status_code: int | None, error_headers: Any) -> None:
        """Re-raise with the field messages, without webargs' location level."""
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))
        raise ValidationError(messages) from error


class AreaBlueprint(flask_smorest.Blueprint):
    """One area's part of the JSON API, nested in ``bp``. Its views say what they take and give
    with ``arguments``, ``response`` and ``errors``; every operation is tagged with the area and
    documents the guard's answers (401, and 403 on writes); ``*_id`` path parameters are UUIDs
    unless the view describes them in ``parameters``.
    ``schema_names`` names the area's schemas whose class names would collide in the document."""

    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, *, tag: str,
                 schema_names: dict[type[Schema], str] | None = None, **kwargs: Any) -> None:
        super().__init__(name, import_name, **kwargs)
        self.tag = tag
        self.schema_names = dict(schema_names or {})

    def route(self, rule: str, *, parameters: list[Any] | None = None,
              tags: list[str] | None = None, public: bool = False,
              **options: Any) -> Callable[[Any], Any]:
        """Register a view, documenting its path ids and the guard's errors (none for a
        ``public`` view, which the guard lets through without a token)."""
        given = {p.get("name") for p in parameters or [] if isinstance(p, dict)}
        ids = [{"in": "path", "name": name, "schema": {"type": "string", "format": "uuid"}}
               for name in re.findall(r"<(?:[^:<>]+:)?([a-z_]+_id)>", rule) if name not in given]
        register = super().route(rule, parameters=[*ids, *(parameters or [])],
                                 tags=tags or [self.tag], **options)
        writes = WRITE_METHODS & set(options.get("methods", ("GET",)))

        def decorator(func: Any) -> Any:
            if public:
                func.public = True
                register(self.doc(security=[])(func))
                return func
            if writes:  # every write takes an Idempotency-Key (web/idempotency.py)
                func = self.doc(parameters=[idempotency.HEADER_DOC])(self.errors(403, 422)(func))
            register(self.errors(401)(func))
            return func

        return decorator

    def arguments(self, schema: Any, *, location: str = "json", required: bool | None = None,
                  **kwargs: Any) -> Callable[[Any], Any]:
        """Load the body (or ``location="query"``) through ``schema``; a body is documented as
        required when the schema has a required field, and may be answered 400 (not JSON)."""
        if required is None:
            required = any(f.required for f in _instance(schema).fields.values())
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse
        return lambda func: parse(self.errors(400)(func))

    def errors(self, *codes: int) -> Callable[[Any], Any]:
        """Document the error answers a view may give (each in the one error shape)."""

        def decorator(func: Any) -> Any:
            for code in codes:
                func = self.alt_response(code, response=HTTPStatus(code).name)(func)
            return func

        return decorator


def _instance(schema: Any) -> Schema:
    return schema() if isinstance(schema, type) else schema


def listing(schema: type[Schema], name: str) -> type[Schema]:
    """The response schema ``name``: ``{"items": [schema, ...]}``."""
    return Schema.from_dict({"items": fields.List(fields.Nested(schema))}, name=name + "Schema")


class RelativePaths(FlaskPlugin):
    """Document paths relative to the server URL ``/api/v1``."""

    def path_helper(self, rule: Any, operations: Any, parameters: Any, **kwargs: Any) -> str:
        """The OpenAPI path of a Flask rule, without the prefix."""
        return super().path_helper(rule, operations, parameters, **kwargs).removeprefix(PREFIX)


def decimal_as_string(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """A decimal shown as a string (the JSON encoder writes every Decimal as one)."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    return {}


def decimal_bounds(self: Any, field: fields.Field, ret: dict[str, Any],
                   **kwargs: Any) -> dict[str, Any]:
    """A decimal's range bounds as JSON numbers (apispec leaves them Decimals, written as
    strings)."""
    return {key: int(value) if value == value.to_integral_value() else float(value)
            for key, value in ret.items() if isinstance(value, Decimal)}


class Api(flask_smorest.Api):
    """flask-smorest's Api without its own error handler and error shape (``web/errors.py``
    renders every error, and the document describes that shape). Views are described when the
    document is first asked for, not at start-up: most apps (tests among them) never ask."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask, *, tags: Iterable[str] = (), **kwargs: Any) -> None:
        self._pending: list[tuple[Any, str, Any]] = []
        self._tags = list(dict.fromkeys(tags))
        self._lock = threading.Lock()
        super().__init__(app, **kwargs)

    def _register_error_handlers(self) -> None:
        """Keep the app's one error handler."""

    def _register_etag_headers(self) -> None:
        """No view uses ETags."""

    def _register_pagination_header(self) -> None:
        """Pages are bodies (``items``, ``total``, ``limit``, ``offset``), not headers."""

    def _register_responses(self) -> None:
        """The error answers views refer to, by status name (``NOT_FOUND`` ...)."""
        for status, description in ERRORS.items():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(HTTPStatus(status).name, response, lazy=True)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Register the blueprint in the app now; describe its views in ``document()``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending.append((blp, name, parameters))

    def document(self) -> dict[str, Any]:
        """The OpenAPI document."""
        with self._lock:
            while self._pending:
                blp, name, parameters = self._pending.pop(0)
                blp.register_views_in_doc(self, self._app, self.spec, name=name,
                                          parameters=parameters)
            for tag in self._tags:
                self.spec.tag({"name": tag})
            self._tags = []
            return self.spec.to_dict()


def init_app(app: Flask, areas: Iterable[AreaBlueprint], csrf: CSRFProtect) -> Api:
    """Nest the areas' blueprints in the guarded parent, exempt them from CSRF (bearer tokens,
    not cookies, authenticate the API), register them and build the OpenAPI document."""
    areas = list(areas)
    names: dict[type[Schema], str] = {}
    for area in areas:
        names.update(area.schema_names)
        if area.name not in {child.name for child, _ in bp._blueprints}:  # noqa: SLF001
            bp.register_blueprint(area)
    api = Api(app, tags=[area.tag for area in areas], spec_kwargs={
        "title": "Governance Ledger API", "version": "1.0.0", "openapi_version": "3.0.3",
        "info": {"description": DESCRIPTION}, "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}], "flask_plugin": RelativePaths(),
        "marshmallow_plugin": MarshmallowPlugin(
            schema_name_resolver=lambda s: names.get(resolve_schema_cls(s)) or default_name(s))})
    converter = api.ma_plugin.converter
    converter.add_attribute_function(decimal_as_string)  # right after the type, so that ranges
    converter.attribute_functions.insert(1, converter.attribute_functions.pop())  # follow it
    converter.add_attribute_function(decimal_bounds)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(  # monitors posting alerts (web/notifications/inbound)
        "integrationKey", {"type": "apiKey", "in": "query", "name": "key"})
    app.cli.commands.pop("openapi", None)  # smorest's `flask openapi` skips document()
    api.register_blueprint(bp)
    for blueprint in (bp, *areas):
        csrf.exempt(blueprint)
    app.extensions["govledger_api"] = api
    return api
