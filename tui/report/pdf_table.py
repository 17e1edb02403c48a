"""Tables for the report PDF: wrapped cells, rows never split, headings repeated on every page.

fpdf2's own table wraps every cell twice through its general line breaker (~10 ms a row), so a
few hundred indicators took seconds. Here each cell is wrapped once with the font's glyph widths
and drawn line by line with `text()`: same look, about ten times faster. Text arrives already
printable (visible escapes, glyphs the font has); links are added only for trusted URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF

_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Column:
    width: float  # mm
    family: str
    style: str = ""


@dataclass(frozen=True, slots=True)
class TableStyle:
    size_pt: float
    line_mm: float
    heading_family: str  # headings are bold, in this family (mono columns have no bold)
    pad_mm: float = 1.2
    heading_fill: tuple[int, int, int] | None = None
    heading_color: tuple[int, int, int] = (0, 0, 0)
    stripe_fill: tuple[int, int, int] | None = None
    rule_color: tuple[int, int, int] | None = None
    link_color: tuple[int, int, int] = (31, 78, 160)
    max_lines: int = 30


@dataclass(slots=True)
class TableCell:
    text: str
    link: str | None = None


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap to `width`; a word longer than a line is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in _WORDS.findall(paragraph) or [""]:
            size = measure(word.rstrip())
            if used + size <= width:
                line, used = line + word, used + measure(word)
                continue
            if line.strip():
                lines.append(line.rstrip())
            while measure(word.rstrip()) > width:
                cut = _fitting(word, width, measure)
                lines.append(word[:cut])
                word = word[cut:]
            line, used = word, measure(word)
        lines.append(line.rstrip())
    return lines


def _fitting(word: str, width: float, measure: Callable[[str], float]) -> int:
    used = 0.0
    for index, ch in enumerate(word):
        used += measure(ch)
        if used > width:
            return max(1, index)
    return len(word)


class TableDrawer:
    """Draws one table on `pdf` from its current position."""

    def __init__(self, pdf: FPDF, columns: Sequence[Column], style: TableStyle) -> None:
        self.pdf, self.columns, self.style = pdf, list(columns), style

    def _measure(self, column: Column) -> Callable[[str], float]:
        widths = self.pdf.fonts[f"{column.family}{column.style}"].cw
        factor = self.style.size_pt * 0.001 / self.pdf.k
        return lambda text: sum(widths[ord(ch)] for ch in text) * factor

    def _lines(self, cells: Sequence[TableCell], columns: Sequence[Column]) -> list[list[str]]:
        out = []
        for cell, column in zip(cells, columns, strict=True):
            lines = wrap(cell.text, column.width - 2 * self.style.pad_mm, self._measure(column))
            if len(lines) > self.style.max_lines:
                lines = [*lines[: self.style.max_lines - 1], "… [cut]"]
            out.append(lines)
        return out

    def draw(self, headings: Sequence[str] | None, rows: Sequence[Sequence[TableCell]]) -> None:
        heading = [TableCell(h) for h in headings or ()]
        columns = [Column(c.width, self.style.heading_family, "B") for c in self.columns]
        heading_lines = self._lines(heading, columns) if heading else []
        heading_height = self._height(heading_lines) if heading else 0.0

        def draw_heading() -> None:
            if heading:
                fill = self.style.heading_fill
                self._draw_row(heading, columns, heading_lines, heading_height, fill, True)

        for index, cells in enumerate(rows):
            lines = self._lines(cells, self.columns)
            height = self._height(lines)
            # A row that does not fit starts a new page; headings never stand alone at a foot.
            needed = height + (heading_height if index == 0 else 0.0)
            if self.pdf.get_y() + needed > self.pdf.page_break_trigger:
                self.pdf.add_page()
                if index > 0:
                    draw_heading()
            if index == 0:
                draw_heading()
            stripe = self.style.stripe_fill if index % 2 else None
            self._draw_row(cells, self.columns, lines, height, stripe, False)

    def _height(self, lines: list[list[str]]) -> float:
        return max(len(cell) for cell in lines) * self.style.line_mm + 2 * self.style.pad_mm

    def _draw_row(
        self,
        cells: Sequence[TableCell],
        columns: Sequence[Column],
        lines: list[list[str]],
        height: float,
        fill: tuple[int, int, int] | None,
        heading: bool,
    ) -> None:
        pdf, style = self.pdf, self.style
        x0, y0 = pdf.l_margin, pdf.get_y()
        total = sum(c.width for c in columns)
        if fill:
            pdf.set_fill_color(*fill)
            pdf.rect(x0, y0, total, height, style="F")
        x = x0
        for cell, column, cell_lines in zip(cells, columns, lines, strict=True):
            pdf.set_font(column.family, column.style, style.size_pt)
            color = style.heading_color if heading else (style.link_color if cell.link else None)
            pdf.set_text_color(*(color or (0, 0, 0)))
            baseline = y0 + style.pad_mm + style.line_mm * 0.78
            for n, line in enumerate(cell_lines):
                if line:
                    pdf.text(x + style.pad_mm, baseline + n * style.line_mm, line)
            if cell.link:
                pdf.link(x, y0, column.width, height, cell.link)
            x += column.width
        pdf.set_text_color(0, 0, 0)
        if style.rule_color:
            pdf.set_draw_color(*style.rule_color)
            pdf.set_line_width(0.15)
            pdf.line(x0, y0 + height, x0 + total, y0 + height)
        pdf.set_xy(x0, y0 + height)
