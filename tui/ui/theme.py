"""Severity colours (DESIGN §4) for Rich text outside the list; the list uses CSS classes."""

from __future__ import annotations

from tui.model import Severity

SEVERITY_STYLE = {
    Severity.HIGH: "bold white on red",
    Severity.MEDIUM: "bold black on dark_orange",
    Severity.LOW: "bold black on yellow",
    Severity.INFORMATIONAL: "black on grey70",
}
