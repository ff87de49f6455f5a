"""One-page PDF reports (a territory, a rep): title, map, KPIs, goals, top accounts.

Rendered with ``fpdf2`` (pure Python, on PyPI): no browser or external
program at run time. The map is a PNG from :mod:`maps.png`. Text uses the
DejaVu Sans font that ships inside matplotlib (already a dependency), since
the PDF core fonts cover Latin-1 only and account names are not.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf2 and matplotlib load when a report is drawn, not with the service
    from fpdf import FPDF

_INK, _MUTED, _ACCENT = (29, 39, 51), (91, 103, 117), (21, 49, 79)


@dataclass(frozen=True)
class Table:
    """A titled table: a header row and text rows (already formatted for people)."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    empty: str = "No data."


@dataclass(frozen=True)
class OnePager:
    """What a one-page report shows; every value already formatted (units included)."""

    title: str
    subtitle: str
    kpis: Sequence[tuple[str, str]]
    tables: Sequence[Table] = field(default_factory=tuple)
    footer: str = ""


def render_report_pdf(report: OnePager, map_png: bytes | None) -> bytes:
    """An A4 portrait PDF of ``report`` with ``map_png`` under the title.

    Parameters
    ----------
    report : OnePager
        Title, KPIs and tables, formatted for people.
    map_png : bytes or None
        The map picture; ``None`` leaves the space out.

    Returns
    -------
    bytes
        The PDF document.

    >>> render_report_pdf(OnePager("North", "2026", [("Accounts", "12")]), None)[:5]
    b'%PDF-'
    """
    pdf = _document(report.title)
    _heading(pdf, report)
    if map_png is not None:
        pdf.image(io.BytesIO(map_png), x=pdf.l_margin, w=pdf.epw, alt_text=f"Map of {report.title}")
        pdf.ln(3)
    _kpis(pdf, report.kpis)
    for table in report.tables:
        _table(pdf, table)
    if report.footer:
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(*_MUTED)
        pdf.multi_cell(0, 4, report.footer)
    return bytes(pdf.output())


def _document(title: str) -> FPDF:
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Territory Mapper")
    pdf.set_lang("en")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, report: OnePager) -> None:
    pdf.set_text_color(*_ACCENT)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_MUTED)
    pdf.set_font("DejaVu", size=10)
    pdf.cell(0, 6, report.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _kpis(pdf: FPDF, kpis: Sequence[tuple[str, str]]) -> None:
    # Four KPI boxes per row: label small and muted, value large.
    per_row, gap = 4, 3.0
    width = (pdf.epw - gap * (per_row - 1)) / per_row
    for start in range(0, len(kpis), per_row):
        x, y = pdf.l_margin, pdf.get_y()
        for label, value in kpis[start : start + per_row]:
            pdf.set_draw_color(213, 219, 226)
            pdf.rect(x, y, width, 15)
            pdf.set_xy(x + 2, y + 1.5)
            pdf.set_font("DejaVu", size=7.5)
            pdf.set_text_color(*_MUTED)
            pdf.cell(width - 4, 4, label)
            pdf.set_xy(x + 2, y + 6.5)
            pdf.set_font("DejaVu", "B", 12)
            pdf.set_text_color(*_INK)
            pdf.cell(width - 4, 7, value)
            x += width + gap
        pdf.set_xy(pdf.l_margin, y + 15 + gap)
    pdf.ln(1)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    pdf.set_font("DejaVu", size=8.5)
    if not table.rows:
        pdf.set_text_color(*_MUTED)
        pdf.cell(0, 6, table.empty, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    from fpdf.fonts import FontFace

    head = FontFace(emphasis="BOLD", fill_color=(238, 241, 244))
    with pdf.table(headings_style=head, line_height=4.4, padding=0.8) as grid:
        for row in (table.header, *table.rows):
            line = grid.row()
            for value in row:
                line.cell(value)
    pdf.ln(3)
