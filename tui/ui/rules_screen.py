"""Suppression rules (`:rules`): list with state, hits, last hit, expiry and author; open a rule's
page (every alert it dismissed), edit, enable/disable, delete, simulate again.

Disabling or deleting asks what happens to the alerts the rule dismissed: reactivate them or
keep them dismissed. Nothing happens to them silently.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from tui.config import current_user
from tui.engine import suppression as sup
from tui.engine.suppression_rule import Rule, RuleError, RuleState, describe
from tui.model import display
from tui.model.clock import utcnow
from tui.store import Store, StoreError
from tui.ui.suppress_form import (
    ALERT_COLUMNS,
    PREVIEW_LIMIT,
    ChoiceDialog,
    SuppressScreen,
    alert_row,
)

STATE_STYLE = {"Enabled": "green", "Disabled": "dim", "Expired": "yellow"}
_CHANGES = frozenset({"edit", "toggle", "delete"})


class RulesScreen(Screen):
    DEFAULT_CSS = """
    RulesScreen #title { text-style: bold; }
    RulesScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", id="rules.back"),
        Binding("enter", "open", "Open", id="rules.open"),
        Binding("e", "edit", "Edit", id="rules.edit"),
        Binding("d", "toggle", "Disable/enable", id="rules.toggle"),
        Binding("x", "delete", "Delete", id="rules.delete"),
        Binding("s", "simulate", "Simulate", id="rules.simulate"),
        Binding("r", "reload", "Reload", id="rules.reload"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.rules: dict[str, Rule] = {}

    def compose(self) -> ComposeResult:
        yield Label(Text("Suppression rules"), id="title")
        table = DataTable(id="rules", cursor_type="row", zebra_stripes=True)
        table.add_columns("Name", "State", "Alert type", "Hits", "Last hit", "Expires", "Author")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only mode hides every action that changes data (DESIGN §4).
        return not (action in _CHANGES and getattr(self.app, "readonly", False))

    # ---- loading -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="rules")
    def _load(self) -> None:
        try:
            rules = sup.list_rules(self.store)
        except StoreError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        self.app.call_from_thread(self._show, rules)

    def _show(self, rules: list[Rule]) -> None:
        now = utcnow()
        self.rules = {str(r.id): r for r in rules}
        table = self.query_one("#rules", DataTable)
        table.clear()
        for rule in rules:
            state = rule.effective_state(now).value
            table.add_row(
                Text(rule.name),
                Text(state, style=STATE_STYLE[state]),
                Text(display(rule.alert_type, 60)),
                Text(str(rule.hits), justify="right"),
                Text(rule.last_hit_utc[:16].replace("T", " ")),
                Text(rule.expiration_date_utc[:10] or "never"),
                Text(display(rule.author, 40)),
                key=str(rule.id),
            )
        self.query_one("#title", Label).update(Text(f"Suppression rules ({len(rules)})"))

    def _error(self, message: str) -> None:
        self.notify(display(message, 500), severity="error", markup=False)

    def _current(self) -> Rule | None:
        table = self.query_one("#rules", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.rules.get(key.value)

    # ---- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        if rule := self._current():
            self.app.push_screen(RulePage(self.store, rule))

    def action_simulate(self) -> None:
        if rule := self._current():
            self.app.push_screen(RulePage(self.store, rule, simulate=True))

    def action_edit(self) -> None:
        if rule := self._current():
            self.app.push_screen(SuppressScreen(self.store, rule=rule), lambda _r: self._load())

    def action_toggle(self) -> None:
        if rule := self._current():
            self._ask(rule, "toggle")

    def action_delete(self) -> None:
        if rule := self._current():
            self._ask(rule, "delete")

    @work(thread=True, exit_on_error=False, group="rules")
    def _ask(self, rule: Rule, change: str) -> None:
        dismissed = len(sup.dismissed_alerts(self.store, rule))
        self.app.call_from_thread(self._confirm, rule, change, dismissed)

    def _confirm(self, rule: Rule, change: str, dismissed: int) -> None:
        enabling = change == "toggle" and rule.state is RuleState.DISABLED
        verb = "Enable" if enabling else ("Disable" if change == "toggle" else "Delete")
        question = Text(f"{verb} suppression rule {rule.name}?", "bold")
        if enabling:
            question.append("\nIt will dismiss matching new alerts again.")
            choices = [("y", "enable", False), ("n", "cancel", None)]
        elif dismissed:
            question.append(f"\nIt dismissed {dismissed} alert(s) that are still dismissed.")
            choices = [
                ("y", f"{verb.lower()} and reactivate them", True),
                ("n", f"{verb.lower()} and keep them dismissed", False),
            ]
        else:
            choices = [("y", verb.lower(), False), ("n", "cancel", None)]

        def answered(reactivate: object) -> None:
            if reactivate is not None:
                self._change(rule, change, enabling, bool(reactivate))

        self.app.push_screen(ChoiceDialog(question, choices), answered)

    @work(thread=True, exit_on_error=False, group="rules")
    def _change(self, rule: Rule, change: str, enabling: bool, reactivate: bool) -> None:
        actor = current_user()
        try:
            if change == "delete":
                revived = sup.delete_rule(self.store, rule, reactivate=reactivate, actor=actor)
            else:
                state = RuleState.ENABLED if enabling else RuleState.DISABLED
                revived = sup.set_state(self.store, rule, state, reactivate=reactivate, actor=actor)
        except (RuleError, StoreError) as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        done = "deleted" if change == "delete" else ("enabled" if enabling else "disabled")
        message = f"Rule {rule.name} {done}" + (
            f"; reactivated {len(revived)} alert(s)" if reactivate else ""
        )
        self.app.call_from_thread(self.notify, message, markup=False)
        self._load()


class RulePage(Screen):
    """One rule: its conditions and every alert it dismissed, or (s) what it would match now."""

    DEFAULT_CSS = """
    RulePage #title { text-style: bold; }
    RulePage #conditions { height: auto; max-height: 8; }
    RulePage DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", id="rule.back"),
        Binding("s", "simulate", "Simulate again", id="rule.simulate"),
        Binding("a", "dismissed", "Dismissed alerts", id="rule.dismissed"),
    ]

    def __init__(self, store: Store, rule: Rule, *, simulate: bool = False) -> None:
        super().__init__()
        self.store = store
        self.rule = rule
        self.simulate_first = simulate

    def compose(self) -> ComposeResult:
        rule = self.rule
        state = rule.effective_state(utcnow()).value
        title = f"Rule {rule.name} · {state} · {rule.hits} hit(s) · by {display(rule.author, 40)}"
        yield Label(Text(title), id="title")
        lines = [f"Alert type {display(rule.alert_type, 80)} · reason {display(rule.reason, 60)}"]
        lines += [f"  {describe(c)}" for c in rule.conditions]
        if rule.comment:
            lines.append(f"Comment: {display(rule.comment, 300)}")
        yield Label(Text("\n".join(lines)), id="conditions")
        yield Label(Text("Loading…"), id="summary")
        table = DataTable(id="alerts", cursor_type="row", zebra_stripes=True)
        table.add_columns(*ALERT_COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self._load(self.simulate_first)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_simulate(self) -> None:
        self._load(True)

    def action_dismissed(self) -> None:
        self._load(False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rule")
    def _load(self, simulate: bool) -> None:
        try:
            if simulate:
                sim = sup.simulate(self.store, self.rule)
                ids = sim.alert_ids
                summary = Text(f"Simulate: {sim.count} open alert(s) match now", "bold")
                for warning in sim.warnings:
                    summary.append(f"\n⚠ {warning}", style="bold red")
            else:
                ids = sup.dismissed_alerts(self.store, self.rule)
                summary = Text(f"{len(ids)} alert(s) dismissed by this rule", "bold")
            rows = sup.alert_summaries(self.store, ids, PREVIEW_LIMIT)
        except (RuleError, StoreError) as exc:
            summary, rows = Text(display(str(exc), 500), "red"), []
        self.app.call_from_thread(self._show, summary, rows)

    def _show(self, summary: Text, rows: list[dict]) -> None:
        self.query_one("#summary", Label).update(summary)
        table = self.query_one("#alerts", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*alert_row(row))
