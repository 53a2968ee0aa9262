"""The report's PDF: Khmer drawn as HarfBuzz shapes it, lines broken between words, pages that render."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont

from records.report_pdf import FONTS, new_pdf, wrap
from tests.support.pdf_glyphs import drawn_glyph_names

KHMER = FONTS / "NotoSansKhmer-Regular.ttf"
# Subscript consonants (្ត, ្រ, ្ស), vowels written before their consonant (េ) and above it.
LINE = "ស្ត្រីក្សេត្រសុខភាពអណ្ដូង"


def _harfbuzz_names(text: str) -> list[str]:
    blob = hb.Blob.from_file_path(str(KHMER))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(hb.Font(hb.Face(blob)), buf, {})
    order = TTFont(str(KHMER)).getGlyphOrder()
    return [order[g.codepoint] for g in buf.glyph_infos]


def _pdf_of(text: str, shaping: bool = True) -> bytes:
    pdf = new_pdf()
    if not shaping:
        pdf.set_text_shaping(False)
    pdf.add_page()
    pdf.set_font("khmer", "", 14)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def test_khmer_in_the_pdf_is_the_glyphs_harfbuzz_shapes():
    want = _harfbuzz_names(LINE)
    drawn = drawn_glyph_names(_pdf_of(LINE), str(KHMER))
    assert len(drawn) == len(want) and all(name in can_be for name, can_be in zip(want, drawn)), (want, drawn)
    # Without shaping the same line is other glyphs (one per letter, no subscript forms): the check sees it.
    unshaped = drawn_glyph_names(_pdf_of(LINE, shaping=False), str(KHMER))
    assert len(unshaped) != len(want) or not all(name in can_be for name, can_be in zip(want, unshaped))


def test_khmer_lines_break_between_words_only():
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("khmer", "", 10)
    text = "អណ្ដូងទឹករបស់ភូមិខូចតាំងពីខែមុន ហើយគ្រួសារជាច្រើនត្រូវដើរទៅយកទឹកពីស្ទឹងឆ្ងាយពីផ្ទះ" * 2
    lines = wrap(pdf, text, 50)
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    from records.report_pdf import words

    boundaries = set()
    at = 0
    for w in words(text):
        at += len(w)
        boundaries.add(at)
    at = 0
    for line in lines[:-1]:
        at = text.index(line, at) + len(line)
        assert at in boundaries or text[at:at + 1] == " ", line  # never inside a word
        assert pdf.get_string_width(line) <= 50


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (scripts/system-deps.sh)")
def test_the_report_pdf_renders_with_its_fonts_embedded(tmp_path):
    from records.report_pdf import to_pdf
    from tests.support.report_pdf_sample import sample_report

    for lang in ("km", "en"):
        body = to_pdf(sample_report(), lang)
        assert body.startswith(b"%PDF") and body.count(b"/FontFile2") >= 1
        path = tmp_path / f"report-{lang}.pdf"
        path.write_bytes(body)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / lang)], check=True, timeout=60)
        assert list(tmp_path.glob(f"{lang}*.png"))
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansKhmer" in fonts and all(" yes " in line for line in fonts.splitlines()[2:])
