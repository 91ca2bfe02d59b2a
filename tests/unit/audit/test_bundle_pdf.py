"""The bundle's PDF measures words itself (fpdf's get_string_width costs ~80 µs a word): the
widths must be fpdf's own, and every wrapped line must fit."""

from __future__ import annotations

import pytest
from fpdf import FPDF
from hypothesis import given
from hypothesis import strategies as st

from app.audit.bundle import _measure, _wrap

LATIN1 = st.characters(min_codepoint=32, max_codepoint=255, exclude_categories=("Cc",))


def pdf(size: float = 7, style: str = "") -> FPDF:
    document = FPDF(orientation="L", unit="mm", format="A4")
    document.add_page()
    document.set_font("Helvetica", style, size)
    return document


@given(text=st.text(LATIN1, max_size=60), size=st.sampled_from([7, 11, 14]),
       style=st.sampled_from(["", "B"]))
def test_the_width_is_fpdfs_own(text: str, size: float, style: str) -> None:
    document = pdf(size, style)
    assert _measure(document)(text) == pytest.approx(document.get_string_width(text))


def test_other_spacing_falls_back_to_fpdf() -> None:
    document = pdf()
    document.set_char_spacing(2)
    assert _measure(document)("spaced out") == document.get_string_width("spaced out")
    assert _measure(document)("ab") > _measure(pdf())("ab")


@given(words=st.lists(st.text(LATIN1.filter(lambda c: c != " "), min_size=1, max_size=120),
                      min_size=1, max_size=40))
def test_every_line_fits_and_no_word_is_lost(words: list[str]) -> None:
    document = pdf()
    width = document.w - document.l_margin - document.r_margin
    lines = _wrap(document, " ".join(words), width)
    for line in lines:
        assert document.get_string_width(line) <= width + 1e-9 or len(line) == 1
    assert "".join(lines).replace(" ", "") == "".join(words)
