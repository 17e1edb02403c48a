"""The incident screen: the info pane on the left; Alerts, Take action, Timeline and Activity
tabs on the right. Triage keys act on the incident; membership keys on the selected alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui.config import current_user
from tui.engine import correlation, triage
from tui.engine.remediation import ResourcePlan, mitigation_plan
from tui.intel.prevention import Prevention, prevention
from tui.model import display
from tui.store import incidents
from tui.store.db import StoreError
from tui.store.incident_detail import IncidentDetail, incident_detail, remediation_inputs
from tui.store.playbooks import list_runs
from tui.ui import incident_view as view
from tui.ui.dialogs import ConfirmDialog, TextDialog
from tui.ui.keys import INCIDENT_KEYS, TRIAGE_KEYS, bindings
from tui.ui.messages import DataChanged
from tui.ui.pivot_screen import PivotScreen
from tui.ui.triage import TriageActions, TriageTarget

TABS = ("tab-alerts", "tab-action", "tab-timeline", "tab-activity")
NARROW = 110  # below this width the panes stack
T = TypeVar("T")
ALERT_ACTIONS = frozenset({"remove_alert", "move_alert", "split", "mark"})


@dataclass
class Loaded:
    detail: IncidentDetail
    plans: list[ResourcePlan]
    runs: list


class IncidentScreen(TriageActions):
    BINDINGS = bindings(INCIDENT_KEYS + TRIAGE_KEYS)
    DEFAULT_CSS = """
    IncidentScreen #incident-left {
        width: 36%; min-width: 32; max-width: 64; padding: 0 1; border-right: solid $panel;
    }
    IncidentScreen #incident-tabs { width: 1fr; }
    IncidentScreen #action-sections { height: auto; max-height: 6; }
    IncidentScreen #action-scroll { height: 1fr; padding: 0 1; }
    IncidentScreen.narrow #incident-body { layout: vertical; }
    IncidentScreen.narrow #incident-left {
        width: 100%; max-width: 100%; height: 8; border-right: none; border-bottom: solid $panel;
    }
    """

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.loaded: Loaded | None = None
        self.marked: set[int] = set()
        self.prevention: Prevention | None = None
        self._prevention_started = False  # ATT&CK data loads when the section is first shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="incident-body"):
            with VerticalScroll(id="incident-left"):
                yield Static(Text(f"Loading incident INC-{self.incident_id}…"), id="incident-info")
            with TabbedContent(id="incident-tabs"):
                with TabPane("1 Alerts", id="tab-alerts"):
                    yield DataTable(id="incident-alerts", cursor_type="row", zebra_stripes=True)
                with TabPane("2 Take action", id="tab-action"):
                    yield OptionList(
                        *(Option(label, id=key) for key, label in view.SECTIONS),
                        id="action-sections",
                    )
                    with VerticalScroll(id="action-scroll"):
                        yield Static(id="action-body")
                with TabPane("3 Timeline", id="tab-timeline"), VerticalScroll():
                    yield Static(id="timeline")
                with TabPane("4 Activity", id="tab-activity"), VerticalScroll():
                    yield Static(id="activity")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#incident-alerts", DataTable)
        table.add_columns("", "Sev", "Time", "Stage", "Alert", "Why it joined")
        table.focus()
        self._load()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")

    # --- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="incident", exit_on_error=False)
    def _load(self) -> None:
        conn = self.app.store.conn
        try:
            detail = incident_detail(conn, self.incident_id)
        except StoreError as exc:
            self.app.call_from_thread(self._missing, str(exc))
            return
        plans = mitigation_plan(remediation_inputs(conn, self.incident_id))
        runs = list_runs(conn, "incident", self.incident_id, limit=20)
        self.app.call_from_thread(self._show, Loaded(detail, plans, runs))

    @work(thread=True, exclusive=True, group="prevention", exit_on_error=False)
    def _load_prevention(self) -> None:
        """ATT&CK data may load into the store on first need (seconds): never on the UI thread."""
        try:
            detail = incident_detail(self.app.store.conn, self.incident_id)
            found = prevention(self.app.store, detail)
        except StoreError as exc:
            self.app.call_from_thread(self._prevention_failed, str(exc))
            return
        self.app.call_from_thread(self._prevention_loaded, found)

    def _prevention_loaded(self, found: Prevention) -> None:
        self.prevention = found
        self._show_section()

    def _prevention_failed(self, error: str) -> None:
        self.query_one("#action-body", Static).update(view.prevent(None, error))

    def _missing(self, error: str) -> None:
        self.query_one("#incident-info", Static).update(Text(f"{error} (esc goes back)"))

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        d = loaded.detail
        self.marked &= {a["id"] for a in d.alerts}
        self.query_one("#incident-info", Static).update(view.info_pane(d))
        self._fill_alerts(d)
        self.query_one("#timeline", Static).update(view.timeline(d))
        self.query_one("#activity", Static).update(view.activity(d))
        self._show_section()
        self.refresh_bindings()

    def _fill_alerts(self, d: IncidentDetail) -> None:
        table = self.query_one("#incident-alerts", DataTable)
        row = table.cursor_row
        table.clear()
        for alert in d.alerts:
            stage = view.stage_label(alert["intent"].split(",")[0]) if alert["intent"] else ""
            table.add_row(
                Text("●" if alert["id"] in self.marked else " ", style="bold yellow"),
                view.severity_badge(alert["severity"]),
                Text(view.when(alert["start_time_utc"])),
                Text(stage),
                Text(display(alert["alert_display_name"], 100)),
                Text(display(alert["reason"], 200), style="dim"),
                key=str(alert["id"]),
            )
        if d.alerts:
            table.move_cursor(row=min(row, len(d.alerts) - 1))

    def on_data_changed(self, _event: DataChanged) -> None:
        self._load()

    # --- Take action -----------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#action-sections")
    def _section_highlighted(self) -> None:
        self._show_section()

    @on(OptionList.OptionSelected, "#action-sections")
    def _section_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "respond":
            self.run_action("trigger_response")
        elif event.option.id == "suppress":
            self.run_action("suppress")

    def _show_section(self) -> None:
        if self.loaded is None:
            return
        sections = self.query_one("#action-sections", OptionList)
        key = view.SECTIONS[sections.highlighted or 0][0]
        d = self.loaded.detail
        body = {
            "mitigate": lambda: view.mitigate(self.loaded.plans),
            "prevent": self._prevent_text,
            "respond": lambda: view.respond(self.loaded.runs, self._can("trigger_response")),
            "suppress": lambda: view.suppress(d, self._can("suppress")),
        }[key]()
        self.query_one("#action-body", Static).update(body)

    def _prevent_text(self) -> Text:
        if self.prevention is None and not self._prevention_started:
            self._prevention_started = True
            self._load_prevention()
        return view.prevent(self.prevention)

    def _can(self, action: str) -> bool:
        return bool(self.check_action(action, ()))

    # --- what the keys act on --------------------------------------------------------------

    def triage_targets(self) -> list[TriageTarget]:
        if self.loaded is None:
            return []
        f = self.loaded.detail.fields
        return [TriageTarget(("incident", f["id"]), f["version"], f["title"])]

    def status_cascade(self) -> Text | None:
        count = len(self.loaded.detail.alerts) if self.loaded else 0
        return Text(f"Also set the {count} alerts of this incident to the same status?")

    def selected_alerts(self) -> list[int]:
        if self.marked:
            return sorted(self.marked)
        table = self.query_one("#incident-alerts", DataTable)
        if self.loaded is None or not self.loaded.detail.alerts:
            return []
        return [self.loaded.detail.alerts[table.cursor_row]["id"]]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if not allowed or action not in ALERT_ACTIONS:
            return allowed
        return self._on_alerts_tab() or None

    def _on_alerts_tab(self) -> bool:
        return self.query_one("#incident-tabs", TabbedContent).active == "tab-alerts"

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    # --- navigation ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_tab(self, index: int) -> None:
        tabs = self.query_one("#incident-tabs", TabbedContent)
        tabs.active = TABS[index]
        focus = {"tab-alerts": "#incident-alerts", "tab-action": "#action-sections"}
        if TABS[index] in focus:
            self.query_one(focus[TABS[index]]).focus()

    def action_cursor(self, step: int) -> None:
        widget = self.focused
        if isinstance(widget, DataTable | OptionList):
            (widget.action_cursor_down if step > 0 else widget.action_cursor_up)()
        elif widget is not None and hasattr(widget, "scroll_relative"):
            widget.scroll_relative(y=step, animate=False)

    @on(DataTable.RowSelected, "#incident-alerts")
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        if self._on_alerts_tab() and self.loaded and self.loaded.detail.alerts:
            row = self.query_one("#incident-alerts", DataTable).cursor_row
            self.app.open_alert(self.loaded.detail.alerts[row]["id"])

    def action_mark(self) -> None:
        if self.loaded is None or not self.loaded.detail.alerts:
            return
        table = self.query_one("#incident-alerts", DataTable)
        self.marked ^= {self.loaded.detail.alerts[table.cursor_row]["id"]}
        self._fill_alerts(self.loaded.detail)
        table.action_cursor_down()

    def action_pivot(self) -> None:
        if self.loaded is None:
            return
        self.app.push_screen(PivotScreen(self.loaded.detail.entities))

    # --- membership and assignment ---------------------------------------------------------

    def action_remove_alert(self) -> None:
        ids = self.selected_alerts()
        if not ids:
            return
        question = Text(
            f"Take {len(ids)} alert(s) out of INC-{self.incident_id}? Correlation will not put"
            " them back."
        )
        self.app.push_screen(ConfirmDialog(question), lambda yes: yes and self._remove(ids))

    @work(thread=True, group="membership", exit_on_error=False)
    def _remove(self, alert_ids: list[int]) -> None:
        conn, version = self.app.store.conn, self._version()
        for alert_id in alert_ids:
            version = self._edit(
                lambda a=alert_id, v=version: incidents.remove_alert(
                    conn, self.incident_id, a, v, current_user()
                )
            )
            if version is None:
                return
        self._after_edit(f"{len(alert_ids)} alert(s) removed from INC-{self.incident_id}")

    def action_move_alert(self) -> None:
        ids = self.selected_alerts()
        prompt = Text(f"Move {len(ids)} alert(s) to incident number")
        self.app.push_screen(
            TextDialog(prompt, "e.g. 42"), lambda text: text and self._move(ids, text)
        )

    @work(thread=True, group="membership", exit_on_error=False)
    def _move(self, alert_ids: list[int], text: str) -> None:
        other = self._incident_number(text)
        if other is None:
            return
        target = incidents.get_incident(self.app.store.conn, other)
        if target is None:
            self._report(f"incident {other} does not exist", error=True)
            return
        version = target["version"]
        for alert_id in alert_ids:
            version = self._edit(
                lambda a=alert_id, v=version: incidents.add_alert(
                    self.app.store.conn, other, a, v, current_user()
                )
            )
            if version is None:
                return
        self._after_edit(f"{len(alert_ids)} alert(s) moved to INC-{other}")

    def action_merge(self) -> None:
        prompt = Text(f"Merge into INC-{self.incident_id} the incident number")
        self.app.push_screen(TextDialog(prompt, "e.g. 42"), lambda text: text and self._merge(text))

    @work(thread=True, group="membership", exit_on_error=False)
    def _merge(self, text: str) -> None:
        other = self._incident_number(text)
        found = other is not None and incidents.get_incident(self.app.store.conn, other)
        if not found:
            self._report(f"incident {display(text.strip(), 40)} does not exist", error=True)
            return
        versions = {self.incident_id: self._version(), other: found["version"]}
        merged = self._edit(
            lambda: incidents.merge(
                self.app.store.conn, self.incident_id, [other], versions, current_user()
            )
        )
        if merged is not None:
            self._after_edit(f"INC-{other} merged into INC-{self.incident_id}")

    def action_split(self) -> None:
        ids = self.selected_alerts()
        question = Text(f"Split {len(ids)} alert(s) off into a new incident?")
        self.app.push_screen(ConfirmDialog(question), lambda yes: yes and self._split(ids))

    @work(thread=True, group="membership", exit_on_error=False)
    def _split(self, alert_ids: list[int]) -> None:
        version = self._version()
        new_id = self._edit(
            lambda: incidents.split(
                self.app.store.conn, self.incident_id, alert_ids, version, current_user()
            )
        )
        if new_id is not None:
            self.marked.clear()
            self._after_edit(f"{len(alert_ids)} alert(s) split off into INC-{new_id}")

    def action_assign_to(self) -> None:
        prompt = Text(f"Assign INC-{self.incident_id} to analyst")
        self.app.push_screen(
            TextDialog(prompt, "user name"), lambda name: name and self._assign_to(name)
        )

    @work(thread=True, group="triage", exit_on_error=False)
    def _assign_to(self, owner: str) -> None:
        version = self._version()
        assigned = self._edit(
            lambda: triage.assign(
                self.app.store, ("incident", self.incident_id), owner, expected_version=version
            )
        )
        if assigned is not None:
            self._after_edit(f"INC-{self.incident_id} assigned to {owner.strip()}")

    # --- helpers for the workers -----------------------------------------------------------

    def _version(self) -> int:
        return self.loaded.detail.fields["version"] if self.loaded else -1

    def _edit(self, change: Callable[[], T]) -> T | None:
        """Run one store edit; report a conflict or error and return None on failure."""
        try:
            return change()
        except StoreError as exc:
            self._report(str(exc), error=True)
            self.app.call_from_thread(self.app.data_changed)
            return None

    def _incident_number(self, text: str) -> int | None:
        digits = text.strip().upper().removeprefix("INC-")
        if not digits.isdigit():
            self._report(f"not an incident number: {display(text.strip(), 40)}", error=True)
            return None
        return int(digits)

    def _after_edit(self, message: str) -> None:
        # Settle what the edit changed around it (an incident that lost its bridging alert).
        correlation.correlate_new(self.app.store, [])
        self._report(message)
        self.app.call_from_thread(self._changed)
