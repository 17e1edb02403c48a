"""The `p` dialog: choose the report type and TLP, make the PDF in a worker, deliver it.

Over SSH the PDF goes to the reports folder and the path is shown (and copied where the terminal
allows). Under `threatdesk serve` it opens in a new browser tab; Textual 8.2.8's terminal-mode
`deliver_binary` writes a 0-byte file, so it is used only when `app.is_web`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet

from tui.config import current_user, reports_dir
from tui.model.text import display
from tui.report.model import ReportType, Target, Tlp
from tui.report.service import generate_report
from tui.store import Store

_TYPE_HELP = {
    ReportType.ACTIVITY_GROUP: "the attacker: identity, objectives, TTPs",
    ReportType.CAMPAIGN: "one campaign: timeline, TTPs, indicators",
    ReportType.SUMMARY: "both, in one report",
}


@dataclass(frozen=True, slots=True)
class ReportChoice:
    type: ReportType
    tlp: Tlp


class ReportDialog(ModalScreen[ReportChoice | None]):
    """Pick type and TLP; dismisses with a ReportChoice, or None when cancelled."""

    DEFAULT_CSS = """
    ReportDialog { align: center middle; }
    ReportDialog > Vertical {
        width: 64; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ReportDialog RadioSet { width: 100%; margin: 0 0 1 0; }
    ReportDialog Horizontal { height: auto; align: right middle; }
    ReportDialog .heading { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "generate", "Generate", id="report.generate"),
        Binding("escape", "cancel", "Cancel", id="report.cancel"),
    ]

    def __init__(self, subject: str, tlp: Tlp = Tlp.AMBER) -> None:
        super().__init__()
        self._subject = subject
        self._default_tlp = tlp

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Threat intelligence report", style="bold"))
            yield Label(Text(display(self._subject, 180)))
            yield Label(Text("Type", style="bold"), classes="heading")
            with RadioSet(id="report-type"):
                for index, kind in enumerate(ReportType):
                    label = Text(f"{kind.label} — {_TYPE_HELP[kind]}")
                    yield RadioButton(label, value=index == 2, name=kind.value)
            yield Label(Text("TLP marking", style="bold"), classes="heading")
            with RadioSet(id="report-tlp"):
                for tlp in Tlp:
                    label = Text(f"{tlp.marking} — {tlp.meaning}")
                    yield RadioButton(label, value=tlp is self._default_tlp, name=tlp.value)
            with Horizontal():
                yield Button(Text("Generate (g)"), variant="primary", id="generate")
                yield Button(Text("Cancel (esc)"), id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "generate":
            self.action_generate()
        else:
            self.action_cancel()

    def action_generate(self) -> None:
        kind = self.query_one("#report-type", RadioSet).pressed_button
        tlp = self.query_one("#report-tlp", RadioSet).pressed_button
        if kind is None or tlp is None:
            return
        self.dismiss(ReportChoice(ReportType(kind.name), Tlp(tlp.name)))

    def action_cancel(self) -> None:
        self.dismiss(None)


def request_report(app: App, store: Store, target: Target, subject: str) -> None:
    """Ask for type and TLP, then make the report in a worker and deliver it (the `p` key)."""

    def chosen(choice: ReportChoice | None) -> None:
        if choice is not None:
            app.notify(f"Making the {choice.type.label}…", markup=False, timeout=3)
            _make_report(app, store, target, choice)

    app.push_screen(ReportDialog(subject), chosen)


def _make_report(app: App, store: Store, target: Target, choice: ReportChoice) -> None:
    def job() -> None:
        try:
            path = generate_report(
                store, target, choice.type, choice.tlp, current_user(), reports_dir()
            )
        except Exception as exc:  # any failure is shown; a report never crashes the UI
            message = display(f"Report failed: {exc}", 500)
            app.call_from_thread(app.notify, message, severity="error", markup=False)
            return
        app.call_from_thread(deliver_report, app, path)

    app.run_worker(job, thread=True, group="report", name=f"report {target.kind} {target.id}")


def deliver_report(app: App, path: Path) -> None:
    """Open the PDF in the browser tab under `serve`; in a terminal, show and copy its path."""
    if app.is_web:
        app.deliver_binary(path, open_method="browser", mime_type="application/pdf")
        app.notify(f"Report opened in a new tab: {path.name}", markup=False)
        return
    app.copy_to_clipboard(str(path))
    app.notify(f"Report written (path copied): {path}", markup=False, timeout=15)
