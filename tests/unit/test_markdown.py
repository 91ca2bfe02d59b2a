"""The ``markdown`` filter: CommonMark and tables rendered, anything active stripped."""

from __future__ import annotations

from web.markdown import render_markdown


def test_headings_bold_and_tables_render() -> None:
    html = render_markdown("# Title\n\nSome **bold** text.\n\n| Name | Votes |\n|---|--:|\n"
                           "| Ada | 3 |\n")

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<th scope="col">Name</th>' in html
    assert '<td class="align-right">3</td>' in html
    assert "|---|" not in html and "**" not in html


def test_headings_shift_under_the_page_title() -> None:
    html = render_markdown("# Minutes\n\n## Attendees\n\n###### Deep", shift=1)

    assert "<h2>Minutes</h2>" in html and "<h3>Attendees</h3>" in html
    assert "<h6>Deep</h6>" in html and "<h1>" not in html


def test_scripts_event_handlers_and_javascript_urls_are_stripped() -> None:
    html = render_markdown(
        "<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[click](javascript:alert(1))\n\n"
        '<a href="javascript:alert(2)" onclick="alert(3)">raw</a>\n\n'
        '<p style="color:red" class="evil">styled</p>\n')

    assert "<script" not in html and "alert('x')" not in html
    assert "onerror" not in html and "onclick" not in html and "<img" not in html
    assert "href" not in html  # a javascript: link is no link (markdown text, or no href)
    assert "style=" not in html and "evil" not in html
    assert "styled" in html and "raw" in html


def test_links_keep_web_urls_and_get_noopener() -> None:
    html = render_markdown("[docs](https://example.org/runbook) and <mailto:ops@example.org>")

    assert '<a href="https://example.org/runbook" rel="noopener noreferrer">docs</a>' in html
    assert 'href="mailto:ops@example.org"' in html


def test_nothing_renders_as_nothing() -> None:
    assert render_markdown(None) == "" and render_markdown("") == ""
