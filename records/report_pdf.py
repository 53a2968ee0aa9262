"""The activity report as a PDF: Khmer shaped by HarfBuzz (fpdf2 + uharfbuzz), fonts embedded.

Khmer writes words without spaces and stacks subscript consonants and vowel signs, so a line is
shaped, not drawn letter by letter, and broken only where ICU's Khmer dictionary finds a word
boundary. Noto Sans Khmer has no Latin letters or digits: Noto Sans (Debian's fonts-noto-core) is
its fallback for those.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from records.catalog import load_catalog
from records.report_files import sections

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
LATIN = Path("/usr/share/fonts/truetype/noto")
LINE_MM = 6.5
SUB_AREA_COLUMNS = 10  # figures beside the name in one table of the sub-areas on a portrait page


def _column_parts(rows: list[list[Any]], per: int) -> list[list[list[Any]]]:
    """A wide table as several, each with the first column (the area's name) and ``per`` of the others."""
    width = len(rows[0]) - 1
    return [[[row[0], *row[1 + i:1 + i + per]] for row in rows] for i in range(0, width, per)]


def words(text: str, lang: str = "km") -> Iterator[str]:
    """The text cut at word boundaries (ICU; Khmer from its dictionary), spaces kept on their word."""
    from icu import BreakIterator, Locale

    it = BreakIterator.createLineInstance(Locale(lang))
    it.setText(text)
    start = 0
    for end in it:
        yield text[start:end]
        start = end


def wrap(pdf, text: str, width: float) -> list[str]:
    """Lines of at most ``width`` mm as shaped, broken between words (a word wider than a line is cut) and
    at each newline of the text (the parts of an escalation summary)."""
    text = str(text)
    if "\n" in text:
        return [line for part in text.split("\n") for line in wrap(pdf, part, width)]
    lines, line = [], ""
    for word in words(text):
        if line and pdf.get_string_width(line + word.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        while pdf.get_string_width(word.rstrip()) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdf.get_string_width(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line += word
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def new_pdf():
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("khmer", "", str(FONTS / "NotoSansKhmer-Regular.ttf"))
    pdf.add_font("khmer", "B", str(FONTS / "NotoSansKhmer-Bold.ttf"))
    pdf.add_font("latin", "", str(LATIN / "NotoSans-Regular.ttf"))
    pdf.add_font("latin", "B", str(LATIN / "NotoSans-Bold.ttf"))
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_text_shaping(use_shaping_engine=True, script="khmr", language="khm")
    return pdf


def _font(pdf, style: str, size: float) -> None:
    """Select the Khmer font again even if fpdf2 thinks it is selected: after a cell drawn wholly in
    the fallback font the next Khmer text would otherwise be written with the Latin font's CIDs."""
    pdf.set_font("latin", style, size)
    pdf.set_font("khmer", style, size)


def _table(pdf, rows: list[list[Any]], widths: list[float]) -> None:
    size = 9 if len(widths) <= 6 else 7.5  # the sub-area table: eleven columns on a portrait page
    for i, row in enumerate(rows):
        style = "B" if i == 0 else ""
        _font(pdf, style, size)
        cells = [wrap(pdf, "" if v is None else v, w - 2) for v, w in zip(row, widths)]
        height = LINE_MM * max(len(c) for c in cells)
        if pdf.will_page_break(height):
            pdf.add_page()
        x, y = pdf.get_x(), pdf.get_y()
        for lines, w in zip(cells, widths):
            pdf.rect(x, y, w, height)
            for n, line in enumerate(lines):
                pdf.set_xy(x + 1, y + n * LINE_MM)
                _font(pdf, style, size)
                pdf.cell(w - 2, LINE_MM, line)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.ln(4)


def to_pdf(report: dict[str, Any], lang: str) -> bytes:
    cat = load_catalog(lang)
    pdf = new_pdf()
    pdf.add_page()
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("khmer", "B", 15)
    for line in wrap(pdf, f"{cat.get('report.title', 'Activity report')} — {report['area']['name']}", usable):
        pdf.cell(usable, 9, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("khmer", "", 10)
    pdf.cell(usable, LINE_MM, f"{report['period']['from']} – {report['period']['to']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for title, rows in sections(report, lang):
        if len(rows) == 1:
            continue  # an empty section (no escalated concern): its title alone says nothing
        pdf.set_font("khmer", "B", 12)
        if pdf.will_page_break(LINE_MM * 3):
            pdf.add_page()
        pdf.cell(usable, 8, title, new_x="LMARGIN", new_y="NEXT")
        columns = len(rows[0])
        if columns == 2:
            widths = [usable * 0.6, usable * 0.4]
        elif columns == 3:
            widths = [usable * 0.5, usable * 0.25, usable * 0.25]
        elif title == cat.get("report.section.escalated"):
            widths = [18, 22, 20, 20, 24, 13, 30, usable - 147]
        else:  # the sub-area table: the name, then the figures in portrait-wide parts
            for part in _column_parts(rows, SUB_AREA_COLUMNS):
                first = 34
                _table(pdf, part, [first] + [(usable - first) / (len(part[0]) - 1)] * (len(part[0]) - 1))
            continue
        _table(pdf, rows, widths)
    return bytes(pdf.output())
