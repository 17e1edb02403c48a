"""SECURITY.md cases 16-20: hostile alert text in a PDF is printed as text, never acted on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.report.pdf_reading import ReadPdf, read_pdf
from tests.report.scenario import FIXED_NOW, Scenario, tiny_report
from tui.report.model import (
    Facts,
    Link,
    Paragraph,
    ReportType,
    Section,
    Table,
    Target,
    Tlp,
)
from tui.report.pdf import render
from tui.report.service import generate_report
from tui.store import Store

FORBIDDEN = ("/JavaScript", "/JS", "/Launch", "/SubmitForm", "/GoToR", "/EmbeddedFile", "/AA")


def _opens_as_a_plain_view(pdf: ReadPdf) -> bool:
    """fpdf2 always sets /OpenAction to a view destination [page /FitH null], never an action."""
    action = pdf.reader.trailer["/Root"].get("/OpenAction")
    return action is None or (isinstance(action, list) and str(action[1]) == "/FitH")


def test_hostile_alert_prints_as_text_with_no_active_content(
    report_store: Store, scenario: Scenario, tmp_path: Path
) -> None:
    path = generate_report(
        report_store,
        Target("alert", scenario.hostile_alert_id),
        ReportType.SUMMARY,
        Tlp.RED,
        "alice",
        tmp_path,
        now=FIXED_NOW,
    )
    data = path.read_bytes()
    pdf = read_pdf(data)
    # markup, markdown and HTML are printed verbatim
    for literal in (
        "[bold red]FAKE[/]",
        "[x](file:///etc/passwd)",
        '<a href="javascript:alert(1)">x</a>',
        '<img src="/etc/passwd">',
        "**x** --y--",
    ):
        assert pdf.has(literal), literal
    # control characters are visible escapes; scripts print or show \\uXXXX
    assert pdf.has("\\e[31mRED\\e]52;c;aGk=\\a")
    assert "ок" in pdf.text
    assert pdf.has("\\u4e2d\\u6587")  # CJK: no glyph in the bundled font
    assert "\x1b" not in pdf.text
    # the 20,000-character token is wrapped and cut visibly, not an error
    assert pdf.has("ZZZZ") and "chars]" in pdf.text
    # the URL indicator is defanged and never a link; the only links are ATT&CK pages
    assert pdf.has("hxxps://evil[.]example[.]net/[x](file:///etc/passwd)")
    assert all(t.startswith("https://attack.mitre.org/") for t in pdf.link_targets())
    assert all(a["/Subtype"] == "/Link" for a in pdf.annotations())
    for name in FORBIDDEN:
        assert name.encode() not in data
    assert _opens_as_a_plain_view(pdf)
    assert pdf.has("No attribution:")


def test_missing_glyphs_and_huge_tokens_in_narrow_columns() -> None:
    token = "A" * 20_000
    report = tiny_report(
        "Ünïcödé — русский 中文 العربية 😀 \U0001fae0",
        Section(
            "Table",
            [
                Table(["a", "b", "c", "d"], [[token, token, "中" * 500, token]], [1, 1, 1, 1]),
                Facts([("token", token)]),
                Paragraph(token * 10),
            ],
        ),
    )
    data, pages = render(report)
    pdf = read_pdf(data)
    assert pdf.has("русский") and pdf.has("\\u4e2d\\u6587") and pdf.has("\\U0001fae0")
    assert "chars]" in pdf.text
    assert pages == len(pdf.pages) < 30


def test_only_trusted_http_links_become_annotations() -> None:
    report = tiny_report(
        "links",
        Section(
            "Links",
            [
                Table(
                    ["id"],
                    [
                        [Link("T1003", "https://attack.mitre.org/techniques/T1003/")],
                        [Link("js", "javascript:alert(1)")],
                        [Link("file", "file:///etc/passwd")],
                        [Link("evil", "https://evil.example.com/")],
                        [Link("spoof", "https://attack.mitre.org.evil.com/")],
                    ],
                    [1],
                )
            ],
        ),
    )
    pdf = read_pdf(render(report)[0])
    assert pdf.link_targets() == ["https://attack.mitre.org/techniques/T1003/"]
    assert pdf.has("javascript:alert(1)") is False and pdf.has("js")


def test_metadata_injection_is_escaped_and_round_trips() -> None:
    title = "x) /OpenAction << /S /JavaScript /JS (app.alert(1)) >> ("
    data, _pages = render(tiny_report(title))
    pdf = read_pdf(data)
    assert pdf.reader.metadata.title == title
    assert _opens_as_a_plain_view(pdf)
    assert b"/Title (x\\) /OpenAction << /S /JavaScript /JS \\(app.alert\\(1\\)\\) >> \\()" in data


def test_fixed_clock_gives_identical_bytes_and_creation_date() -> None:
    report = tiny_report("same", Section("S", [Paragraph("body")]))
    first, _ = render(report)
    second, _ = render(report)
    assert first == second
    assert read_pdf(first).reader.metadata.creation_date == datetime(
        2026, 11, 28, 9, 30, tzinfo=UTC
    )
