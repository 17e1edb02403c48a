"""Threat-intelligence reports: content model, builder and PDF rendering.

The UI and CLI call `generate_report(store, Target("incident", 7), "summary", "amber", analyst,
out_dir) -> Path`; `build_report` gives the content without writing anything.
"""

from tui.report.model import Report, ReportType, Target, Tlp
from tui.report.service import build_report, generate_report

__all__ = ["Report", "ReportType", "Target", "Tlp", "build_report", "generate_report"]
