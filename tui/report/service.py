"""Make a report end to end: gather, build, render, write, log. The UI and CLI call this."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from tui.model.clock import parse_iso, utcnow
from tui.report.builder import build
from tui.report.evidence import gather
from tui.report.intel_facts import intel_facts
from tui.report.model import Report, ReportType, Target, Tlp
from tui.report.pdf import render
from tui.store import Store
from tui.store.reports import record_report


def build_report(
    store: Store,
    target: Target,
    report_type: ReportType,
    tlp: Tlp,
    analyst: str,
    now: datetime | None = None,
) -> Report:
    """The report's content, without rendering or writing anything."""
    evidence = gather(store, target)
    facts = intel_facts(store, evidence, report_type)
    return build(evidence, facts, report_type, tlp, analyst, now or parse_iso(utcnow()))


def report_filename(report: Report) -> str:
    subject = report.subject
    return f"{subject.kind}-{subject.id}-{report.type.value}-{report.date:%Y%m%dT%H%M%SZ}.pdf"


def generate_report(
    store: Store,
    target: Target,
    report_type: ReportType | str,
    tlp: Tlp | str,
    analyst: str,
    out_dir: Path,
    *,
    output: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the PDF (to `output`, or a new file in `out_dir`), log it, and return its path.

    Runs in a worker thread from the UI: it opens its own store connection for that thread.
    """
    report_type = ReportType(report_type)
    tlp = tlp if isinstance(tlp, Tlp) else Tlp.parse(tlp)
    report = build_report(store, target, report_type, tlp, analyst, now)
    data, pages = render(report)
    path = output or out_dir / report_filename(report)
    _write_atomically(path, data)
    record_report(
        store.conn,
        target_type=target.kind,
        target_id=target.id,
        report_type=report_type.value,
        tlp=tlp.value,
        path=str(path.resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
        pages=pages,
        analyst=analyst,
    )
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader (or a browser tab) never sees a half-written PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".report-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
