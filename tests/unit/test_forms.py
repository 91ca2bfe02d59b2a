"""One way to handle a form: FormSchema coercion and the web.forms.handle_form helper."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from flask import Blueprint, render_template_string, request, url_for
from marshmallow import ValidationError, fields, validate

import app as app_package
from app.ccb.schemas import VoteFormSchema, VoteInputSchema
from app.schemas import FormSchema, Text
from tests.conftest import csrf_token, event_count, login
from web import context
from web.context import login_required
from web.forms import handle_form

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services


class ExampleFormSchema(FormSchema):
    """A form with one of each kind of field a browser sends."""

    checkboxes = ("urgent", "public")
    separators = {"tags": r"[,\n]"}

    title = Text(required=True, validate=validate.Length(min=3))
    note = Text(load_default="")
    due = fields.Date(load_default=None, allow_none=True)
    owner_id = fields.UUID(load_default=None, allow_none=True)
    urgent = fields.Boolean(required=True)
    public = fields.Boolean(required=True)
    tags = fields.List(Text(), load_default=list)
    members = fields.List(fields.String(), load_default=list)


class TestFormSchema:
    def test_a_blank_or_spaces_only_required_field_is_reported_as_missing(self) -> None:
        for blank in ("", "   ", "\n"):
            with pytest.raises(ValidationError) as info:
                ExampleFormSchema().load({"title": blank})

            assert info.value.messages_dict["title"] == ["Missing data for required field."]

    def test_blank_optional_fields_take_their_defaults(self) -> None:
        data = ExampleFormSchema().load({"title": "Rotate keys", "note": "", "due": "",
                                         "owner_id": " ", "tags": ""})

        assert data["note"] == "" and data["tags"] == []
        assert data["due"] is None and data["owner_id"] is None

    def test_filled_optional_fields_load_as_their_types(self) -> None:
        owner = str(uuid.uuid4())

        data = ExampleFormSchema().load({"title": "Rotate keys", "due": "2026-04-01",
                                         "owner_id": owner})

        assert data["due"] == date(2026, 4, 1) and str(data["owner_id"]) == owner

    @pytest.mark.parametrize(("sent", "expected"), [
        ({}, False), ({"urgent": "on"}, True), ({"urgent": "true"}, True),
        ({"urgent": "1"}, True), ({"urgent": "false"}, False), ({"urgent": ""}, False),
        ({"urgent": ["false", "true"]}, True),
    ])
    def test_a_checkbox_is_true_when_sent_and_false_when_absent(
            self, sent: dict[str, Any], expected: bool) -> None:
        data = ExampleFormSchema().load({"title": "Rotate keys", **sent})

        assert data["urgent"] is expected
        assert data["public"] is False

    def test_a_separated_list_is_split_and_a_repeated_field_is_kept_as_a_list(self) -> None:
        data = ExampleFormSchema().load({"title": "Rotate keys", "tags": "db, api\n edge ,",
                                         "members": ["a", "", "b"]})

        assert data["tags"] == ["db", "api", "edge"]
        assert data["members"] == ["a", "b"]

    def test_a_repeated_field_with_only_blank_values_is_missing(self) -> None:
        data = ExampleFormSchema().load({"title": "Rotate keys", "members": ["", " "]})

        assert data["members"] == []

    def test_fields_the_form_does_not_declare_are_ignored(self) -> None:
        data = ExampleFormSchema().load({"title": "Rotate keys", "tab": "charter",
                                         "next": "/boards/"})

        assert "tab" not in data and "next" not in data

    def test_reshape_sees_the_coerced_fields(self) -> None:
        seen: list[dict[str, Any]] = []

        class Reshaping(ExampleFormSchema):
            def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
                seen.append(dict(data))
                return {**data, "title": data["title"].upper()}

        data = Reshaping().load({"title": "rotate keys", "note": "", "urgent": "on"})

        assert seen == [{"title": "rotate keys", "urgent": True, "public": False}]
        assert data["title"] == "ROTATE KEYS"

    def test_a_value_is_not_stripped_unless_its_field_strips_it(self) -> None:
        class Raw(FormSchema):
            content = fields.String(required=True)

        assert Raw().load({"content": "# Title\n"})["content"] == "# Title\n"

    def test_the_api_input_schema_stays_strict_while_its_form_schema_coerces(self) -> None:
        with pytest.raises(ValidationError) as info:
            VoteInputSchema().load({"choice": "approve", "on_behalf_of": ""})

        assert "on_behalf_of" in info.value.messages
        assert VoteFormSchema().load({"choice": "approve", "on_behalf_of": ""}) == {
            "choice": "approve", "on_behalf_of": None}

    def test_every_form_schema_derives_from_form_schema(self) -> None:
        forms = []
        for module in pkgutil.walk_packages(app_package.__path__, "app."):
            if module.name.endswith("schemas"):
                for name, cls in inspect.getmembers(importlib.import_module(module.name),
                                                    inspect.isclass):
                    if name.endswith("FormSchema"):
                        forms.append(cls)

        assert len(forms) > 40
        assert [f.__name__ for f in forms if not issubclass(f, FormSchema)] == []


# -- the helper -----------------------------------------------------------------------------------

PAGE = """{% extends 'base.html' %}{% block content %}
<form method="post"><input name="title" value="{{ form.get('title', '') }}">
{% for message in errors.get('title', []) %}<span id="title-error">{{ message }}</span>{% endfor %}
<textarea name="note">{{ form.get('note', '') }}</textarea></form>
<p id="fields">{{ form|sort|join(',') }}</p>{% endblock %}"""


class ItemFormSchema(FormSchema):
    """A small form raising an action item owned by the signed-in person."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    note = Text(load_default="")


class StatusFormSchema(FormSchema):
    """A status form: the domain refuses ``blocked`` without a note."""

    status = fields.String(required=True)
    note = Text(load_default="")


def _page(errors: dict[str, Any], form: dict[str, Any]) -> str:
    return render_template_string(PAGE, errors=errors, form=form)


def form_test_blueprint() -> Blueprint:
    """Routes using handle_form both ways: re-rendering the page, or back to a URL."""
    bp = Blueprint("form_test", __name__, url_prefix="/form-test")

    @bp.route("/items", methods=("GET", "POST"))
    @login_required
    def items() -> Any:
        if request.method == "GET":
            return _page({}, {})
        return handle_form(
            ItemFormSchema(), lambda data: context.services().actions.create_action_item(
                title=data["title"], owner_id=request.args["owner"]),
            success=lambda result: ("Item raised.", f"/action-items/{result['id']}"),
            retry=_page)

    @bp.post("/items/<item_id>/status")
    @login_required
    def status(item_id: str) -> Any:
        return handle_form(
            StatusFormSchema(), lambda data: context.services().actions.update_action_item_status(
                item_id, data["status"], data["note"]),
            success=("Status updated.", url_for("form_test.items")),
            retry=_page if request.args.get("page") else url_for("form_test.items"))

    return bp


@pytest.fixture
def form_app(app: Flask) -> Flask:
    """The app with the test routes."""
    app.register_blueprint(form_test_blueprint())
    return app


@pytest.fixture
def form_client(form_app: Flask) -> FlaskClient:
    """A client of the app with the test routes."""
    return form_app.test_client()


def post(client: FlaskClient, path: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/form-test/items")})


def item_of(services: Services, person: dict[str, Any]) -> str:
    with services.ledger.acting_as(person["id"]):
        return services.actions.create_action_item(title="Tune", owner_id=person["id"])["id"]


class TestHandleForm:
    def test_valid_input_runs_the_command_then_flashes_and_redirects(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(form_client, member)
        before = event_count(services)

        response = post(form_client, f"/form-test/items?owner={member['id']}",
                        title="  Rotate the keys ", note="")

        assert response.status_code == 302
        assert response.headers["Location"].startswith("/action-items/")
        assert event_count(services) == before + 1
        page = form_client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Item raised." in page and "Rotate the keys" in page

    def test_invalid_input_shows_the_page_again_with_the_error_and_the_input(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(form_client, member)
        before = event_count(services)

        response = post(form_client, f"/form-test/items?owner={member['id']}", title="ab",
                        note="kept as typed")

        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(r'id="title-error">Enter 3 to 200 characters for the title\.', html)
        assert 'value="ab"' in html and "kept as typed" in html
        assert '<p id="fields">note,title</p>' in html  # the CSRF token is not input
        assert event_count(services) == before

    def test_a_rule_refusal_shows_the_page_again_with_the_rule_and_appends_nothing(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = item_of(services, member)
        login(form_client, member)
        before = event_count(services)

        response = post(form_client, f"/form-test/items/{item}/status?page=1", status="blocked",
                        note="")

        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "Not saved: Say what blocks this item." in html
        assert event_count(services) == before

    def test_a_permission_refusal_is_a_403_page_and_appends_nothing(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any],
            auditor: dict[str, Any]) -> None:
        login(form_client, auditor)
        before = event_count(services)

        response = post(form_client, f"/form-test/items?owner={member['id']}",
                        title="Rotate the keys")

        html = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Your role is read-only (auditor)" in html and 'value="Rotate the keys"' in html
        assert "['auditor']" not in html and "read_only_role" not in html
        assert event_count(services) == before

    def test_with_a_url_to_go_back_to_a_refusal_is_flashed_there(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = item_of(services, member)
        login(form_client, member)
        before = event_count(services)

        response = post(form_client, f"/form-test/items/{item}/status", status="blocked")

        assert response.status_code == 302 and response.headers["Location"] == "/form-test/items"
        page = form_client.get("/form-test/items").get_data(as_text=True)
        assert "Not saved: Say what blocks this item." in page
        assert event_count(services) == before

    def test_with_a_url_to_go_back_to_invalid_input_is_flashed_there_by_field(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = item_of(services, member)
        login(form_client, member)
        before = event_count(services)

        response = post(form_client, f"/form-test/items/{item}/status", status="")

        assert response.status_code == 302
        page = form_client.get("/form-test/items").get_data(as_text=True)
        assert "Not saved: status: Enter a status." in page
        assert event_count(services) == before

    def test_the_success_message_names_the_flash_and_the_target(
            self, form_client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = item_of(services, member)
        login(form_client, member)

        response = post(form_client, f"/form-test/items/{item}/status", status="in_progress",
                        note="started")

        assert response.status_code == 302 and response.headers["Location"] == "/form-test/items"
        assert "Status updated." in form_client.get("/form-test/items").get_data(as_text=True)
