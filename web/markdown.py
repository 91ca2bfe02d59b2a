"""Markdown shown in pages: minutes, runbooks, review documents, rehearsal reports.

One Jinja filter, ``markdown``: CommonMark plus tables (markdown-it-py), then the HTML is
sanitised with nh3 against an allow-list of tags and attributes — scripts, event-handler
attributes, ``javascript:`` and other non-web URLs are dropped, and every link gets
``rel="noopener noreferrer"``. The Markdown itself stays available as a download where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

if TYPE_CHECKING:
    from flask import Flask

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr",
        "th", "td", "dl", "dt", "dd", "sub", "sup", "kbd", "details", "summary"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
ALIGN = {"align-left", "align-center", "align-right"}
CLASSES = {"th": ALIGN, "td": ALIGN}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def render_markdown(text: str | None, shift: int = 0) -> Markup:
    """Markdown → sanitised HTML. ``shift`` demotes headings (1: ``#`` becomes ``<h2>``) so a
    document's own title sits under the page's ``<h1>``."""
    tokens = _md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and shift:
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))  # the CSP allows no inline style
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.split(":", 1)[1])
        if token.type == "th_open":
            token.attrSet("scope", "col")
    html = _md.renderer.render(tokens, _md.options, {})
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer",
                            allowed_classes=CLASSES))


def init_app(app: Flask) -> None:
    """Register the ``markdown`` filter: ``{{ text|markdown }}`` or ``{{ text|markdown(1) }}``."""
    app.add_template_filter(render_markdown, "markdown")
