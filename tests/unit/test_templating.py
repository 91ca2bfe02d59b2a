"""Templates read a dict's ``row.field`` straight from its key, with Jinja's own answer for
everything: a dict's method names stay methods, missing keys undefined, objects as they are."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from web.templating import LedgerEnvironment, escape

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


class _Html:
    def __html__(self) -> str:
        return "<i>safe</i>"


VALUES = ["plain", "<script>alert('x') & \"y\"</script>", "", Markup("<b>kept</b>"), 0, -42,
          10**20, True, None, 2.5, _Html(), ["<a>"], Decimal("1.5")]


def test_templates_escape_every_value_as_markupsafe_does(app: Flask) -> None:
    for value in VALUES:
        ours = escape(value)
        assert type(ours) is Markup
        assert ours == markupsafe_escape(value), value
    env = app.jinja_env
    source = env.compile("{{ v }}", raw=True)
    assert "from web.templating import escape" in source
    for value in VALUES:
        assert env.from_string("[{{ v }}]").render(v=value) == f"[{markupsafe_escape(value)}]"
    assert env.from_string("{{ a ~ b }}|{{ m }}").render(a="<", b=1, m=Markup("&amp;")) == \
        "&lt;1|&amp;"
