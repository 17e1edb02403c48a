"""Alert details (`enter` on an alert): every field an analyst needs, and triage keys."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from tui.store.alert_detail import AlertDetail, alert_detail
from tui.store.alert_list import reader
from tui.ui.detail_view import render_detail
from tui.ui.keys import DETAIL_KEYS, TRIAGE_KEYS, bindings
from tui.ui.messages import DataChanged
from tui.ui.triage import TriageActions, TriageTarget


class AlertDetailScreen(TriageActions):
    BINDINGS = bindings(DETAIL_KEYS + TRIAGE_KEYS)

    def __init__(self, alert_id: int) -> None:
        super().__init__()
        self.alert_id = alert_id
        self.detail: AlertDetail | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll"):
            yield Static(Text(f"Loading alert #{self.alert_id}…"), id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()
        self._load()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load(self) -> None:
        try:
            found = alert_detail(reader(self.app.store), self.alert_id)
        except KeyError:
            self.app.call_from_thread(self._missing)
            return
        self.app.call_from_thread(self._show, found)

    def _show(self, found: AlertDetail) -> None:
        self.detail = found
        self.query_one("#detail", Static).update(render_detail(found))
        self.refresh_bindings()

    def _missing(self) -> None:
        self.query_one("#detail", Static).update(
            Text(f"Alert #{self.alert_id} does not exist (esc goes back).")
        )

    def on_data_changed(self, _event: DataChanged) -> None:
        self._load()

    def triage_targets(self) -> list[TriageTarget]:
        if self.detail is None:
            return []
        f = self.detail.fields
        return [TriageTarget(("alert", f["id"]), f["version"], f["alert_display_name"])]

    def action_back(self) -> None:
        self.dismiss()

    def action_scroll_down(self) -> None:
        self.query_one("#detail-scroll").scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#detail-scroll").scroll_up(animate=False)

    def action_page_down(self) -> None:
        self.query_one("#detail-scroll").scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.query_one("#detail-scroll").scroll_page_up(animate=False)
