"""Hostile alerts and incidents in every PDF report type: no crash, text extractable, the
hostile text printed verbatim as visible escapes, and no link but http(s) (SECURITY.md cases
16-20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.hostile import make_corpus
from tests.data.hostile.make_corpus import FILES, HERE
from tests.report.pdf_reading import ReadPdf, read_pdf
from tui.engine import correlation
from tui.ingest.pipeline import import_paths
from tui.report.model import ReportType, Target, Tlp
from tui.report.service import generate_report
from tui.store import Store

ACTIVE = (b"/JavaScript", b"/JS ", b"/Launch", b"/SubmitForm", b"/GoToR", b"/EmbeddedFile")


def _report(store: Store, target: Target, kind: ReportType, folder: Path) -> tuple[bytes, ReadPdf]:
    path = generate_report(store, target, kind, Tlp.AMBER, "analyst", folder)
    data = path.read_bytes()
    return data, read_pdf(data)


def _assert_inert(data: bytes, pdf: ReadPdf) -> None:
    assert pdf.text.strip()
    assert not any(marker in data for marker in ACTIVE)
    targets = pdf.link_targets()
    assert all(t.startswith(("https://", "http://")) for t in targets), targets
    assert len(targets) == len(pdf.annotations())  # every annotation is such a link
    assert not any(ch in pdf.text for ch in "\x1b\x00\u009b\u202e\u200b")


@pytest.fixture
def hostile_store(store: Store) -> Store:
    import_paths(store, [HERE / name for name in FILES])
    correlation.rebuild(store)
    return store


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(ReportType))
def test_incident_reports_are_inert(hostile_store: Store, tmp_path: Path, kind: ReportType) -> None:
    incidents = [i for (i,) in hostile_store.conn.execute("SELECT id FROM incidents")]
    assert incidents
    for incident in incidents:
        data, pdf = _report(hostile_store, Target("incident", incident), kind, tmp_path)
        _assert_inert(data, pdf)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["osc52", "markup_click", "markdown", "html", "urls", "bidi"])
def test_alert_reports_print_hostile_text_verbatim(
    hostile_store: Store, tmp_path: Path, name: str
) -> None:
    sid = make_corpus.source_id("defender", name)
    [(alert_id,)] = hostile_store.conn.execute("SELECT id FROM alerts WHERE source_id = ?", (sid,))
    data, pdf = _report(hostile_store, Target("alert", alert_id), ReportType.SUMMARY, tmp_path)
    _assert_inert(data, pdf)
    expected = {
        "osc52": "\\e]52;c;cHduZWQ=\\a",
        "markup_click": "[@click=app.quit]x[/]",
        "markdown": "[click](https://evil.example)",
        "html": '<a href="javascript:alert(1)">j</a>',
        "urls": "javascript:alert(1) file:///etc/passwd",
        "bidi": "invoice\\u202efdp.exe",
    }[name]
    assert pdf.has(expected)


@pytest.mark.slow
def test_megabyte_field_is_cut_visibly(store: Store, tmp_path: Path) -> None:
    make_corpus.write_big(tmp_path)
    import_paths(store, [tmp_path / "big-defender.jsonl"])
    sid = make_corpus.source_id("defender", "megabyte")
    [(alert_id,)] = store.conn.execute("SELECT id FROM alerts WHERE source_id = ?", (sid,))
    data, pdf = _report(store, Target("alert", alert_id), ReportType.SUMMARY, tmp_path)
    _assert_inert(data, pdf)
    assert "chars]" in pdf.text and len(pdf.pages) < 30
