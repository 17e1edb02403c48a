"""Render a report model to PDF with fpdf2, treating every string as untrusted plain text.

SECURITY.md cases 16-20: a bundled Unicode TTF (characters it lacks print as `\\uXXXX`), plain
`multi_cell`/table text only (never markdown or HTML, which turn evidence into live links and read
local files), cells bounded so no row outgrows a page, links only for trusted http(s) ATT&CK pages,
no implicit resource loading. The creation date comes from the report, so a fixed clock gives
identical bytes.
"""

from __future__ import annotations

from collections.abc import Container
from importlib import resources

from fpdf import FPDF, ResourceAccessPolicy
from fpdf.enums import Align, WrapMode, XPos, YPos

from tui.model.text import visible
from tui.report.model import Bullets, Cell, Facts, Link, Paragraph, Report, Section, Table, Tlp
from tui.report.pdf_table import Column, TableCell, TableDrawer, TableStyle

SANS, MONO = "dejavu", "dejavumono"
_FONT_FILES = {
    (SANS, ""): "DejaVuSans.ttf",
    (SANS, "B"): "DejaVuSans-Bold.ttf",
    (MONO, ""): "DejaVuSansMono.ttf",
}
BODY_PT, SMALL_PT, TABLE_PT = 9.5, 7.5, 8
LINE_MM = 4.6
TABLE_LINE_MM = 3.9
# A table cell never wraps onto more lines than this, so no row is taller than a page.
MAX_CELL_LINES = 30
MAX_PARAGRAPH = 20_000  # characters; fpdf2 needs ~16 s for 1 MB of text
TRUSTED_LINK_PREFIXES = ("https://attack.mitre.org/",)

# TLP 2.0: coloured text on black.
_TLP_RGB = {
    Tlp.CLEAR: (255, 255, 255),
    Tlp.GREEN: (51, 255, 0),
    Tlp.AMBER: (255, 192, 0),
    Tlp.RED: (255, 43, 43),
}
_ACCENT = (31, 56, 100)
_MUTED = (100, 100, 100)
_FACTS_STYLE = TableStyle(size_pt=BODY_PT, line_mm=LINE_MM, heading_family=SANS, pad_mm=0.9)
_TABLE_STYLE = TableStyle(
    size_pt=TABLE_PT,
    line_mm=TABLE_LINE_MM,
    heading_family=SANS,
    heading_fill=_ACCENT,
    heading_color=(255, 255, 255),
    stripe_fill=(240, 243, 248),
    rule_color=(200, 205, 215),
    max_lines=MAX_CELL_LINES + 5,
)


def render(report: Report) -> tuple[bytes, int]:
    """The PDF bytes of `report` and its page count."""
    pdf = _ReportPdf(report)
    pdf.cover()
    for section in report.sections:
        pdf.section(section)
    return bytes(pdf.output()), pdf.pages_count


def printable(text: str, cmap: Container[int]) -> str:
    """Visible text the font can draw: control characters escaped, missing glyphs as \\uXXXX."""
    text = visible(text, multiline=True).replace("\t", "    ")
    if all(ord(ch) in cmap or ch == "\n" for ch in text):
        return text
    return "".join(ch if ord(ch) in cmap or ch == "\n" else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def trusted_link(url: str) -> bool:
    return url.startswith(TRUSTED_LINK_PREFIXES) and url.isascii() and url.isprintable()


class _ReportPdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(format="A4", unit="mm")
        self.report = report
        # Nothing in a report may make fpdf2 read a local file or fetch a URL.
        self.resource_access_policy = ResourceAccessPolicy.NONE
        fonts = resources.files("tui.report") / "fonts"
        for (family, style), name in _FONT_FILES.items():
            with resources.as_file(fonts / name) as font_path:
                self.add_font(family, style, font_path)
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(True, margin=18)
        self._set_metadata()

    def _set_metadata(self) -> None:
        report = self.report
        # fpdf2 writes these as escaped PDF strings; they are still made visible first so a
        # control character cannot hide in the document properties.
        self.set_title(visible(report.title))
        self.set_subject(visible(f"{report.type.label} for {report.subject.label}"))
        self.set_author(visible(report.analyst))
        self.set_keywords(f"{report.tlp.marking} threat intelligence {report.type.value}")
        self.set_creator("threatdesk")
        self.set_lang("en")
        self.set_creation_date(report.date)

    # ----------------------------------------------------------------- text helpers
    def _text(self, text: str, family: str = SANS, style: str = "") -> str:
        key = f"{family}{style}"
        return printable(text, self.fonts[key].cmap)

    def _font(self, size: float, style: str = "", family: str = SANS) -> None:
        self.set_font(family, style, size)

    def _lines(self, height: float, text: str) -> None:
        """Printable text, left-aligned and wrapped from the current x to the right margin."""
        self.multi_cell(
            0,
            height,
            text,
            align=Align.L,
            wrapmode=WrapMode.WORD,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    # ----------------------------------------------------------------- page furniture
    def header(self) -> None:
        self._tlp_box(self.w - self.r_margin - 30, 8, 30, 6)
        if self.page_no() > 1:
            self._font(SMALL_PT)
            self.set_text_color(*_MUTED)
            self.set_xy(self.l_margin, 8)
            heading = f"{self.report.type.label} — {self.report.subject.label}"
            self.cell(self.epw - 34, 6, _fit(self._text(heading), 90), new_x=XPos.LMARGIN)
            self.set_text_color(0, 0, 0)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-13)
        self._font(SMALL_PT)
        self.set_text_color(*_MUTED)
        self.cell(self.epw / 3, 5, "threatdesk")
        self._tlp_text(self.epw / 3)
        self.cell(self.epw / 3, 5, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(0, 0, 0)

    def _tlp_box(self, x: float, y: float, w: float, h: float) -> None:
        self.set_fill_color(0, 0, 0)
        self.set_text_color(*_TLP_RGB[self.report.tlp])
        self._font(SMALL_PT + 1, "B")
        self.set_xy(x, y)
        self.cell(w, h, self.report.tlp.marking, align=Align.C, fill=True)
        self.set_text_color(0, 0, 0)

    def _tlp_text(self, w: float) -> None:
        self.set_fill_color(0, 0, 0)
        self.set_text_color(*_TLP_RGB[self.report.tlp])
        self._font(SMALL_PT, "B")
        width = self.get_string_width(self.report.tlp.marking) + 4
        self.set_x(self.get_x() + (w - width) / 2)
        self.cell(width, 5, self.report.tlp.marking, align=Align.C, fill=True)
        self.set_x(self.get_x() + (w - width) / 2)
        self._font(SMALL_PT)
        self.set_text_color(*_MUTED)

    # ----------------------------------------------------------------- cover
    def cover(self) -> None:
        report = self.report
        self.add_page()
        self.start_section("Cover", level=0)
        self.set_y(45)
        self._font(12, "B")
        self.set_text_color(*_ACCENT)
        self.cell(0, 8, report.type.label.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self._font(22, "B")
        self._lines(10, _fit(self._text(report.title, style="B"), 300))
        self.ln(6)
        self.set_draw_color(*_ACCENT)
        self.set_line_width(0.8)
        self.line(self.l_margin, self.get_y(), self.l_margin + 60, self.get_y())
        self.ln(8)
        self._tlp_box(self.l_margin, self.get_y(), 40, 9)
        self.ln(11)
        self._font(BODY_PT)
        self._lines(LINE_MM, report.tlp.meaning)
        self.ln(8)
        subject = report.subject
        rows = [
            ("Made for", subject.label),
            ("Assessment", report.assessment or "—"),
            ("Severity / status", f"{subject.severity} / {subject.status}"),
            ("Activity", f"{subject.first_seen} — {subject.last_seen}"),
            ("Alerts", str(subject.alert_count)),
            ("Date", report.date.strftime("%Y-%m-%d %H:%M UTC")),
            ("Analyst", report.analyst),
            ("Knowledge base", report.kb_version),
        ]
        self._facts(Facts(rows), label_width=40)

    # ----------------------------------------------------------------- sections
    def section(self, section: Section) -> None:
        if section.level == 0 and self.page_no() == 1:
            self.add_page()  # the cover stands alone
        else:
            self._keep_with_next(40 if section.level == 0 else 25)
        self.start_section(visible(section.title), level=section.level)
        size = 15 if section.level == 0 else 11.5
        self._font(size, "B")
        self.set_text_color(*_ACCENT)
        self._lines(size * 0.5, self._text(section.title, style="B"))
        self.set_text_color(0, 0, 0)
        self.ln(2)
        for block in section.blocks:
            self._block(block)
            self.ln(2.5)

    def _keep_with_next(self, height: float) -> None:
        """Start a new page rather than leave a heading alone at the bottom."""
        self.ln(4)
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def _block(self, block: Paragraph | Facts | Bullets | Table) -> None:
        if isinstance(block, Paragraph):
            self._paragraph(block)
        elif isinstance(block, Facts):
            self._facts(block)
        elif isinstance(block, Bullets):
            self._bullets(block)
        else:
            self._table(block)

    def _paragraph(self, block: Paragraph) -> None:
        self._font(BODY_PT)
        if block.note:
            self.set_text_color(*_MUTED)
        self._lines(LINE_MM, _fit(self._text(block.text), MAX_PARAGRAPH))
        self.set_text_color(0, 0, 0)

    def _bullets(self, block: Bullets) -> None:
        self._font(BODY_PT)
        for item in block.items:
            self.set_x(self.l_margin + 2)
            self.cell(4, LINE_MM, "•")
            self._lines(LINE_MM, _fit(self._text(item), MAX_PARAGRAPH))

    def _facts(self, block: Facts, label_width: float = 45) -> None:
        columns = [Column(label_width, SANS, "B"), Column(self.epw - label_width, SANS)]
        rows = [
            [TableCell(self._text(label, style="B")), self._table_cell(value, columns[1], BODY_PT)]
            for label, value in block.rows
        ]
        TableDrawer(self, columns, _FACTS_STYLE).draw(None, rows)

    def _table(self, block: Table) -> None:
        total = sum(block.widths)
        columns = [
            Column(self.epw * w / total, MONO if index in block.mono else SANS)
            for index, w in enumerate(block.widths)
        ]
        rows = [
            [
                self._table_cell(cell, column, TABLE_PT)
                for cell, column in zip(cells, columns, strict=True)
            ]
            for cells in block.rows
        ]
        headings = [self._text(h, style="B") for h in block.headers]
        TableDrawer(self, columns, _TABLE_STYLE).draw(headings, rows)

    def _table_cell(self, cell: Cell, column: Column, size: float) -> TableCell:
        limit = self._cell_limit(column.width, size, mono=column.family == MONO)
        text = cell.text if isinstance(cell, Link) else cell
        link = cell.url if isinstance(cell, Link) and trusted_link(cell.url) else None
        return TableCell(_fit(self._text(text, column.family), limit), link)

    @staticmethod
    def _cell_limit(width_mm: float, size_pt: float, *, mono: bool = False) -> int:
        """About the characters MAX_CELL_LINES lines of a column hold (wide glyphs assumed);
        the table drawer still cuts a cell that wraps onto more lines."""
        char_mm = size_pt * 0.3528 * (0.61 if mono else 0.75)
        per_line = max(1, int((width_mm - 2.4) / char_mm))
        return per_line * MAX_CELL_LINES


def _fit(text: str, limit: int) -> str:
    """Bound a field visibly; the marker says how much was cut."""
    if len(text) <= limit:
        return text
    marker = f"… [+{len(text) - limit} chars]"
    return text[: max(1, limit - len(marker))] + marker
