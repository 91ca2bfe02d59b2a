"""Templates read a dict's ``row.field`` straight from its key, with Jinja's own answer for
everything: a dict's method names stay methods, missing keys undefined, objects as they are."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

from web.templating import LedgerEnvironment

if TYPE_CHECKING:
    from flask import Flask


def test_a_dict_field_is_its_key_and_anything_else_reads_as_jinja_reads_it(app: Flask) -> None:
    env = app.jinja_env
    assert isinstance(env, LedgerEnvironment)
    page = env.from_string(
        "{{ d.title }}|{{ d.items()|list|length }}|{{ d.get('title') }}|"
        "{{ d.missing is undefined }}|{{ e.items()|list|length }}|"
        "{{ o.title }}|{{ o.absent is undefined }}|{% for r in rows %}{{ r.n }}{% endfor %}")

    shown = page.render(d={"title": "<b>", "items": 3, "get": 4}, e={"a": 1, "b": 2},
                        o=SimpleNamespace(title="obj"), rows=[{"n": i} for i in range(3)])

    assert shown == "&lt;b&gt;|3|&lt;b&gt;|True|2|obj|True|012"
