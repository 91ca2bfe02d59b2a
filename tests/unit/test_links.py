"""Templates' ``url_for`` (web.links) gives exactly Flask's URL for every route of the app, any
values and query arguments, in any script root; and it builds list links from a kept shape."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.links import url_for as links_url_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

VALUES = st.one_of(
    st.uuids().map(str), st.uuids(), st.integers(min_value=-5, max_value=10**12),
    st.text(alphabet="abcXYZ019._~-", min_size=1, max_size=12),
    st.text(max_size=12), st.sampled_from(["history", "a b", "a/b", "é", "%41", "", "zQ0Qz"]),
)
QUERY = st.dictionaries(st.sampled_from(["tab", "status", "offset", "next"]),
                        st.one_of(st.none(), st.booleans(), VALUES), max_size=3)


def outcome(build: Callable[..., str], endpoint: str, values: dict[str, Any]) -> Any:
    """The URL, or the kind of error building it raised."""
    try:
        return build(endpoint, **values)
    except Exception as error:  # noqa: BLE001 - compared, not hidden: both must raise alike
        return type(error)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), script_root=st.sampled_from(["", "/ledger"]))
def test_every_route_builds_as_flask_does(app: Flask, data: st.DataObject,
                                          script_root: str) -> None:
    links = app.extensions["govledger_links"]
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
    rule = data.draw(st.sampled_from(rules))
    values = {name: data.draw(VALUES) for name in sorted(rule.arguments)}
    values.update({k: v for k, v in data.draw(QUERY).items() if k not in values})
    order = data.draw(st.permutations(list(values)))
    values = {k: values[k] for k in order}
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        assert links_url_for("home.index").startswith(f"{script_root}/")
        for _ in range(2):  # the first call learns the shape, the second uses it
            assert outcome(links.url_for, rule.endpoint, values) == outcome(
                app.url_for, rule.endpoint, values)


def test_a_list_link_takes_the_kept_shape(app: Flask) -> None:
    """The row link of a list is the shape joined around the id, without werkzeug's build."""
    links = app.extensions["govledger_links"]
    item = str(uuid.uuid4())
    with app.test_request_context("/", base_url="http://localhost/ledger/"):
        first = links_url_for("ccb.meeting", meeting_id=item, tab="history")
        built = app.url_map.bind("localhost", script_name="/ledger")
        assert first == built.build("ccb.meeting", {"meeting_id": item, "tab": "history"})
        calls: list[str] = []
        real = app.url_for
        app.url_for = lambda endpoint, **v: calls.append(endpoint) or real(endpoint, **v)
        try:
            other = str(uuid.uuid4())
            assert links_url_for("ccb.meeting", meeting_id=other, tab="history") == built.build(
                "ccb.meeting", {"meeting_id": other, "tab": "history"})
            assert calls == []
            assert links_url_for("ccb.meeting", meeting_id="a b", tab="history") == real(
                "ccb.meeting", meeting_id="a b", tab="history")
            assert links_url_for("ccb.meeting", meeting_id=other, tab=None) == real(
                "ccb.meeting", meeting_id=other, tab=None)
            assert calls == ["ccb.meeting", "ccb.meeting"]  # free text and None: Flask's own
        finally:
            del app.url_for
    assert app.jinja_env.globals["url_for"] == links.url_for
