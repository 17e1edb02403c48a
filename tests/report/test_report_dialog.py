"""The report dialog, driven by keys in a tiny test app, and delivery of the PDF in a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from tests.report.scenario import HOSTILE_TITLE, Scenario
from tui.report.model import ReportType, Target, Tlp
from tui.store import Store
from tui.store.reports import list_reports
from tui.ui.report_dialog import ReportChoice, ReportDialog, deliver_report, request_report


class DialogApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.choices: list[ReportChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(ReportDialog(HOSTILE_TITLE), self.choices.append)


async def test_keys_choose_type_and_tlp() -> None:
    app = DialogApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("enter")  # type: Summary (default) -> the first, Activity Group
        await pilot.press("tab", "up", "enter")  # TLP: Amber (default) -> the last, Red
        await pilot.press("g")
        await pilot.pause()
    assert app.choices == [ReportChoice(ReportType.ACTIVITY_GROUP, Tlp.RED)]


async def test_escape_cancels_and_hostile_subject_is_inert() -> None:
    app = DialogApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        shown = "".join(str(label.render()) for label in app.screen.query("Label"))
        assert "[bold red]FAKE[/]" in shown and "\x1b" not in shown
        await pilot.press("escape")
        await pilot.pause()
    assert app.choices == [None]


class ConsoleApp(App[None]):
    def __init__(self, store: Store, target: Target) -> None:
        super().__init__()
        self.store, self.target = store, target
        self.delivered: list[tuple[Path, dict]] = []

    def on_mount(self) -> None:
        request_report(self, self.store, self.target, "Traffic from an unrecommended IP")

    def deliver_binary(self, path_or_file: Path, **options: object) -> str | None:
        self.delivered.append((Path(path_or_file), options))
        return None


class WebApp(App[None]):
    """As under `threatdesk serve`: the driver is a web driver."""

    is_web = True
    deliver_binary = ConsoleApp.deliver_binary

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[tuple[Path, dict]] = []


async def test_terminal_gets_the_path_and_no_binary_delivery(
    report_store: Store, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.ui.report_dialog.reports_dir", lambda: tmp_path)
    app = ConsoleApp(report_store, Target("alert", scenario.noise_alert_id))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    written = sorted(tmp_path.glob("alert-*-summary-*.pdf"))
    assert len(written) == 1
    assert any(str(written[0]) in m for m in messages)
    assert app.delivered == []  # terminal-mode deliver_binary writes 0 bytes in Textual 8.2.8
    made = list_reports(report_store.conn, alert_id=scenario.noise_alert_id)
    assert [(r.type, r.tlp) for r in made] == [("summary", "AMBER")]


async def test_browser_session_opens_the_pdf_in_a_new_tab(tmp_path: Path) -> None:
    pdf = tmp_path / "incident-1-summary.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    app = WebApp()
    async with app.run_test() as pilot:
        deliver_report(app, pdf)
        await pilot.pause()
    assert app.delivered == [(pdf, {"open_method": "browser", "mime_type": "application/pdf"})]
