"""The run log: every playbook run (all, or one alert's or incident's), failures visible, retry.

Rows are read in a thread worker and re-read when the store changes (another analyst's run, an
automation firing). Cells are `Text` built from `display()`: output and errors may echo alert data.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from tui.config import Config, current_user
from tui.engine.playbooks import (
    READONLY_MESSAGE,
    PlaybookError,
    Run,
    Target,
    list_runs,
    outcome_line,
    retry_run,
)
from tui.model.text import display
from tui.store import Store, StoreError
from tui.ui.dialogs import ConfirmDialog
from tui.ui.messages import DataChanged
from tui.ui.playbook_picker import STATUS_STYLE, run_summary

RETRYABLE = ("failed", "timeout")


class RunsScreen(Screen):
    """Playbook runs, newest first; `r` retries the selected failed run."""

    DEFAULT_CSS = """
    RunsScreen DataTable { height: 1fr; }
    RunsScreen #run-detail-box { height: 10; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="runs.back"),
        Binding("r", "retry", "Retry", id="runs.retry"),
        Binding("j", "cursor(1)", "Down", show=False, id="runs.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="runs.up"),
    ]

    def __init__(
        self,
        store: Store,
        config: Config,
        target: Target | None = None,
        *,
        readonly: bool = False,
    ) -> None:
        super().__init__()
        self.store, self.config, self.target, self.readonly = store, config, target, readonly
        self.runs: dict[str, Run] = {}

    def compose(self) -> ComposeResult:
        scope = f"of {self.target}" if self.target else "(all alerts and incidents)"
        yield Label(Text(f"Playbook runs {scope}", "bold"))
        yield DataTable(cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="run-detail-box"):
            yield Static(id="run-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "started (UTC)", "playbook", "target", "trigger", "by", "outcome")
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "retry" and self.readonly)

    @work(thread=True, exclusive=True, group="runs-load")
    def reload(self, select: int | None = None) -> None:
        """Re-read the runs; keep the cursor on its run, or move it to run `select`."""
        target = self.target
        runs = list_runs(
            self.store.conn, target.type if target else None, target.id if target else None
        )
        self.app.call_from_thread(self._show, runs, select)

    def _show(self, runs: list[Run], select: int | None) -> None:
        table = self.query_one(DataTable)
        current = self._selected()
        if select is None and current is not None:
            select = current.id
        table.clear()
        self.runs = {str(r.id): r for r in runs}
        for run in runs:
            trigger = f"auto: {run.rule}" if run.trigger == "automatic" else "manual"
            table.add_row(
                Text(str(run.id)),
                Text(run.started_at[:19].replace("T", " ")),
                Text(display(run.playbook, 40)),
                Text(f"{run.target_type} {run.target_id}"),
                Text(display(trigger, 40)),
                Text(display(run.actor, 30)),
                Text(outcome_line(run), STATUS_STYLE.get(run.status, "")),
                key=str(run.id),
            )
        if str(select) in self.runs:
            table.move_cursor(row=table.get_row_index(str(select)))
        self._describe(self._selected())

    def _selected(self) -> Run | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.runs.get(str(key.value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._describe(self.runs.get(str(event.row_key.value)))

    def _describe(self, run: Run | None) -> None:
        detail = self.query_one("#run-detail", Static)
        if run is None:
            detail.update(Text("No playbook runs yet." if not self.runs else ""))
            return
        text = Text(f"{run.playbook} on {run.target_type} {run.target_id}, by ")
        text.append(display(run.actor, 40))
        if run.retry_of:
            text.append(f", retry of run {run.retry_of}")
        text.append("\n").append_text(run_summary(run))
        detail.update(text)

    def on_data_changed(self, _message: DataChanged) -> None:
        self.reload()

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.cursor_row + step)

    def action_back(self) -> None:
        self.dismiss()

    def action_retry(self) -> None:
        run = self._selected()
        if self.readonly:
            self.notify(READONLY_MESSAGE, severity="warning", markup=False)
            return
        if run is None or run.status not in RETRYABLE:
            self.notify("Only a failed or timed-out run can be retried.", markup=False)
            return
        question = Text(f"Retry run {run.id} ({display(run.playbook, 40)} on ")
        question.append(f"{run.target_type} {run.target_id})?")
        self.app.push_screen(
            ConfirmDialog(question), callback=lambda yes: self._retry(run) if yes else None
        )

    def _retry(self, run: Run) -> None:
        app = self.app
        app.run_worker(
            partial(self._retry_in_thread, app, run),
            thread=True,
            group="playbook-run",
            exit_on_error=False,
        )

    def _retry_in_thread(self, app: App, run: Run) -> None:
        try:
            retried = retry_run(
                self.store, self.config, run.id, current_user(), readonly=self.readonly
            )
        except (PlaybookError, StoreError) as exc:
            app.call_from_thread(app.notify, str(exc), severity="error", markup=False)
            return
        message = f"retry of run {run.id} ({run.playbook}): {outcome_line(retried)}"
        severity = "information" if retried.status == "success" else "error"
        app.call_from_thread(app.notify, message, severity=severity, markup=False)
        if self.is_attached:
            app.call_from_thread(self.reload, retried.id)
