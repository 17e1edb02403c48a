"""Report tables: wrapping, and rows that split cleanly across pages under repeated headings."""

from __future__ import annotations

from tests.report.pdf_reading import read_pdf
from tests.report.scenario import tiny_report
from tui.report.model import Paragraph, Section, Table
from tui.report.pdf import render
from tui.report.pdf_table import wrap


def _chars(text: str) -> float:
    return float(len(text))


def test_wrap_breaks_at_spaces_then_inside_overlong_words() -> None:
    assert wrap("alpha beta gamma", 11, _chars) == ["alpha beta", "gamma"]
    assert wrap("x" * 25, 10, _chars) == ["x" * 10, "x" * 10, "x" * 5]
    assert wrap("one\n\ntwo", 10, _chars) == ["one", "", "two"]


def test_long_table_repeats_its_headings_on_every_page() -> None:
    rows = [[f"row-{n:03d}", "word " * (n % 7 + 1)] for n in range(150)]
    report = tiny_report(
        "t",
        Section("Long", [Paragraph("before"), Table(["Key", "Value"], rows, [1, 3])]),
    )
    pdf = read_pdf(render(report)[0])
    table_pages = [p for p in pdf.pages if "row-" in p]
    assert len(table_pages) >= 3
    for page in table_pages:
        assert page.index("Key") < page.index("row-")  # headings above the first row
    printed = [line.split()[0] for p in table_pages for line in p.splitlines() if "row-" in line]
    assert printed == [f"row-{n:03d}" for n in range(150)]  # every row once, in order
