"""Suppress similar alerts: a rule form pre-filled from the selected alerts, with a live
Simulate preview of the past alerts the rule would dismiss.

Store and engine calls run in thread workers; alert text reaches widgets only as `Text` built
with `display()`. Saving asks for confirmation, shows the warnings (High-severity alerts, alerts
in open incidents) and asks separately whether to dismiss the existing matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.config import current_user
from tui.engine import suppression as sup
from tui.engine.suppression_rule import (
    REASONS,
    Condition,
    Op,
    Rule,
    RuleError,
    describe,
    parse_datetime_arg,
    validate,
)
from tui.engine.suppression_similar import MIN_THRESHOLD
from tui.model import display
from tui.store import Store, StoreError

PREVIEW_LIMIT = 200
SIMULATE_DELAY = 0.3  # seconds of quiet typing before the preview is recomputed
SEVERITY_STYLE = {"High": "bold red", "Medium": "yellow", "Low": "cyan", "Informational": "dim"}


def alert_row(row: dict) -> tuple[Text, ...]:
    """Table cells of an alert summary, every one built from visible text."""
    return (
        Text(row["start_time_utc"][:16].replace("T", " ")),
        Text(row["severity"], style=SEVERITY_STYLE.get(row["severity"], "")),
        Text(display(row["status"], 12)),
        Text(display(row["alert_type"], 40)),
        Text(display(row["alert_display_name"], 200)),
    )


ALERT_COLUMNS = ("Time", "Severity", "Status", "Alert type", "Title")


class ChoiceDialog(ModalScreen):
    """A question answered with one key per choice; esc dismisses with None."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    ChoiceDialog .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, question: Text, choices: Sequence[tuple[str, str, object]]) -> None:
        super().__init__()
        self.question = question
        self.choices = list(choices)  # (key, label, value)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            hint = " · ".join(f"{key} {label}" for key, label, _v in self.choices)
            yield Static(Text(f"{hint} · esc cancel"), classes="hint")

    def on_key(self, event: events.Key) -> None:
        for key, _label, value in self.choices:
            if event.key == key:
                event.stop()
                self.dismiss(value)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)


class ValueDialog(ModalScreen):
    """Edit one condition's value: comma-separated values for `in` on a key field (IP, host,
    hash, ...), which never hold commas; one value otherwise (a command line may)."""

    DEFAULT_CSS = """
    ValueDialog { align: center middle; }
    ValueDialog > Vertical {
        width: 90%; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="value.cancel")]

    def __init__(self, condition: Condition) -> None:
        super().__init__()
        self.condition = condition
        self.many = condition.op is Op.IN and condition.plan.source in ("key", "host")

    def compose(self) -> ComposeResult:
        cond = self.condition
        value = ", ".join(cond.values) if self.many else (cond.text or cond.values[0])
        how = "comma-separated values · " if self.many else ""
        with Vertical():
            yield Static(Text(f"{cond.field} {cond.op.value} ({how}enter save · esc cancel)"))
            yield Input(value=value, id="value")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        cond = self.condition
        if self.many:
            values = tuple(v.strip() for v in event.value.split(",") if v.strip())
            self.dismiss(Condition(cond.field, cond.op, values=values))
        elif cond.op is Op.IN:
            self.dismiss(Condition(cond.field, cond.op, values=(event.value,)))
        else:
            self.dismiss(Condition(cond.field, cond.op, text=event.value, threshold=cond.threshold))


@dataclass
class _Row:
    condition: Condition
    enabled: bool = True


class ConditionList(OptionList):
    """The rule's conditions; each can be switched off to widen the rule."""

    BINDINGS: ClassVar = [
        Binding("space", "toggle", "Toggle", id="suppress.toggle"),
        Binding("e", "edit", "Edit value", id="suppress.edit"),
        Binding("plus,equals_sign", "threshold(5)", "Stricter", id="suppress.stricter"),
        Binding("minus", "threshold(-5)", "Looser", id="suppress.looser"),
    ]

    def action_toggle(self) -> None:
        self.screen.toggle_condition(self.highlighted)

    def action_edit(self) -> None:
        self.screen.edit_condition(self.highlighted)

    def action_threshold(self, step: int) -> None:
        self.screen.change_threshold(self.highlighted, step)


class SuppressScreen(Screen):
    """Suppress similar alerts (`s`), or edit an existing rule (`rule=`)."""

    DEFAULT_CSS = """
    SuppressScreen { layout: vertical; }
    SuppressScreen #title { text-style: bold; }
    SuppressScreen Horizontal { height: 1; }
    SuppressScreen Horizontal Label { width: auto; padding: 0 1 0 0; }
    SuppressScreen Input { border: none; height: 1; padding: 0; width: 1fr; }
    SuppressScreen Input:focus { background: $boost; }
    SuppressScreen ConditionList { height: auto; max-height: 6; border: none; }
    SuppressScreen #summary { height: auto; }
    SuppressScreen #error { color: $error; height: auto; }
    SuppressScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", id="suppress.back"),
        Binding("ctrl+s", "save", "Save", id="suppress.save"),
    ]

    def __init__(
        self,
        store: Store,
        alert_ids: Sequence[int] = (),
        *,
        incident_ids: Sequence[int] = (),
        rule: Rule | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.alert_ids = list(alert_ids)
        self.incident_ids = list(incident_ids)
        self.base = rule
        self.rows: list[_Row] = []
        self.simulation: sup.Simulation | None = None
        self._generation = 0
        self._timer: Timer | None = None
        self._filling = False

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Label(Text("Suppress similar alerts: loading…"), id="title")
        with Horizontal():
            yield Label("Name")
            yield Input(id="name", placeholder="2-50 letters, digits, - or _")
            yield Label(" Alert type")
            yield Input(id="alert_type", placeholder="* for all")
        with Horizontal():
            yield Label("Reason")
            yield Input(id="reason", suggester=SuggestFromList(REASONS, case_sensitive=False))
            yield Label(" Expires")
            yield Input(id="expires", placeholder="YYYY-MM-DD or empty for never")
        with Horizontal():
            yield Label("Comment")
            yield Input(id="comment")
        yield Label(Text("Conditions (all must hold) · space toggle · e edit · +/- similarity"))
        yield ConditionList(id="conditions")
        yield Label(Text("Simulating…"), id="summary")
        yield Label("", id="error")
        table = DataTable(id="preview", cursor_type="row", zebra_stripes=True)
        table.add_columns(*ALERT_COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        if self.base is not None:
            self._fill(self.base, f"Edit suppression rule {self.base.name}")
        else:
            self._propose()

    # ---- proposal ----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False)
    def _propose(self) -> None:
        try:
            ids = self.alert_ids + sup.target_alert_ids(
                self.store, [("incident", i) for i in self.incident_ids]
            )
            rule = sup.propose_rule(self.store, sorted(set(ids)))
        except (RuleError, StoreError) as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        title = f"Suppress alerts similar to {len(set(ids))} selected alert(s)"
        self.app.call_from_thread(self._fill, rule, title)

    def _fill(self, rule: Rule, title: str) -> None:
        self._filling = True
        self.base = rule
        self.query_one("#title", Label).update(Text(title))
        values = {
            "name": rule.name,
            "alert_type": rule.alert_type,
            "reason": rule.reason,
            "expires": rule.expiration_date_utc[:10],
            "comment": rule.comment,
        }
        for name, value in values.items():
            self.query_one(f"#{name}", Input).value = value
        self.rows = [_Row(c) for c in rule.conditions]
        self._render_conditions()
        self.query_one("#conditions", ConditionList).focus()
        self._filling = False
        self._simulate_now()

    # ---- conditions --------------------------------------------------------------------------

    def _render_conditions(self) -> None:
        conditions = self.query_one("#conditions", ConditionList)
        highlighted = conditions.highlighted
        conditions.clear_options()
        conditions.add_options(
            Option(Text(f"[{'x' if row.enabled else ' '}] {describe(row.condition, 100)}"))
            for row in self.rows
        )
        if self.rows:
            conditions.highlighted = min(highlighted or 0, len(self.rows) - 1)

    def toggle_condition(self, index: int | None) -> None:
        if index is not None and index < len(self.rows):
            self.rows[index].enabled = not self.rows[index].enabled
            self._changed()

    def edit_condition(self, index: int | None) -> None:
        if index is None or index >= len(self.rows):
            return
        cond = self.rows[index].condition
        if cond.op is Op.IN and len(cond.values) > 1 and not ValueDialog(cond).many:
            self.notify(
                "a list of texts is edited in the rule's JSON (threatdesk rules export/import)",
                markup=False,
            )
            return

        def done(condition: Condition | None) -> None:
            if condition is not None:
                self.rows[index] = _Row(condition)
                self._changed()

        self.app.push_screen(ValueDialog(self.rows[index].condition), done)

    def change_threshold(self, index: int | None, step: int) -> None:
        if index is None or index >= len(self.rows):
            return
        cond = self.rows[index].condition
        if cond.op is Op.SIMILAR:
            threshold = max(MIN_THRESHOLD, min(100, cond.threshold + step))
            self.rows[index].condition = Condition(
                cond.field, cond.op, text=cond.text, threshold=threshold
            )
            self._changed()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.toggle_condition(event.option_index)

    def on_input_changed(self, _event: Input.Changed) -> None:
        if not self._filling and self.base is not None:
            self._schedule()

    def _changed(self) -> None:
        self._render_conditions()
        self._schedule()

    # ---- the rule as the form shows it ---------------------------------------------------------

    def draft(self) -> Rule:
        """The rule the form describes; raises RuleError for an unreadable expiry."""
        if self.base is None:
            raise RuleError("the form is still loading")
        expires = self.query_one("#expires", Input).value.strip()
        return self.base.with_changes(
            name=self.query_one("#name", Input).value.strip(),
            alert_type=self.query_one("#alert_type", Input).value.strip(),
            reason=self.query_one("#reason", Input).value.strip(),
            comment=self.query_one("#comment", Input).value,
            expiration_date_utc=parse_datetime_arg(expires) if expires else "",
            conditions=tuple(row.condition for row in self.rows if row.enabled),
        )

    # ---- simulate ----------------------------------------------------------------------------

    def _schedule(self) -> None:
        self.simulation = None  # stale as soon as the form changes
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SIMULATE_DELAY, self._simulate_now)

    def _simulate_now(self) -> None:
        self._generation += 1
        self.simulation = None
        try:
            rule = self.draft()
        except RuleError as exc:
            self._show_error(str(exc))
            return
        self.query_one("#summary", Label).update(Text("Simulating…"))
        self._simulate(rule, self._generation)

    @work(thread=True, exit_on_error=False, group="simulate")
    def _simulate(self, rule: Rule, generation: int) -> None:
        try:
            sim = sup.simulate(self.store, rule)
            rows = sup.alert_summaries(self.store, sim.alert_ids, PREVIEW_LIMIT)
        except (RuleError, StoreError) as exc:
            self.app.call_from_thread(self._show_error, str(exc), generation)
            return
        self.app.call_from_thread(self._show_simulation, sim, rows, generation)

    def _show_simulation(self, sim: sup.Simulation, rows: list[dict], generation: int) -> None:
        if generation != self._generation:
            return  # the form changed meanwhile; a newer simulation is on its way
        self.simulation = sim
        summary = Text(f"Simulate: {sim.count} past open alert(s) would be dismissed", "bold")
        for warning in sim.warnings:
            summary.append(f"\n⚠ {warning}", style="bold red")
        self.query_one("#summary", Label).update(summary)
        self.query_one("#error", Label).update("")
        table = self.query_one("#preview", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*alert_row(row))

    def _show_error(self, message: str, generation: int | None = None) -> None:
        if generation is None or generation == self._generation:
            self.query_one("#error", Label).update(Text(display(message, 500)))
            self.query_one("#summary", Label).update(Text("Simulate: —"))

    # ---- save --------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if getattr(self.app, "readonly", False):
            self.notify("read-only mode: rules cannot be saved", severity="error", markup=False)
            return
        try:
            rule = validate(self.draft())
        except RuleError as exc:
            self._show_error(str(exc))
            return
        self._prepare_save(rule)

    @work(thread=True, exit_on_error=False, group="save")
    def _prepare_save(self, rule: Rule) -> None:
        try:
            sim = sup.simulate(self.store, rule)
        except (RuleError, StoreError) as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        self.app.call_from_thread(self._confirm_save, rule, sim)

    def _confirm_save(self, rule: Rule, sim: sup.Simulation) -> None:
        question = Text(f"Save suppression rule {rule.name}?", "bold")
        question.append(
            f"\nNew alerts of type {display(rule.alert_type, 60)} matching "
            f"{len(rule.conditions)} condition(s) will be dismissed"
            + (f" until {rule.expiration_date_utc[:10]}." if rule.expiration_date_utc else ".")
        )
        for warning in sim.warnings:
            question.append(f"\n⚠ This rule {warning}.", style="bold red")

        def confirmed(answer: object) -> None:
            if answer is True and sim.count:
                self._ask_existing(rule, sim)
            elif answer is True:
                self._save(rule, apply_existing=False)

        self.app.push_screen(
            ChoiceDialog(question, [("y", "save", True), ("n", "don't save", False)]), confirmed
        )

    def _ask_existing(self, rule: Rule, sim: sup.Simulation) -> None:
        question = Text(f"Also dismiss the {sim.count} existing matching alert(s)?")

        def answered(answer: object) -> None:
            if answer is not None:
                self._save(rule, apply_existing=bool(answer))

        choices = [("y", "dismiss them too", True), ("n", "new alerts only", False)]
        self.app.push_screen(ChoiceDialog(question, choices), answered)

    @work(thread=True, exit_on_error=False, group="save")
    def _save(self, rule: Rule, *, apply_existing: bool) -> None:
        try:
            result = sup.save_rule(
                self.store, rule, apply_existing=apply_existing, actor=current_user()
            )
        except (RuleError, StoreError) as exc:
            self.app.call_from_thread(self._save_failed, str(exc))
            return
        self.app.call_from_thread(self._saved, result)

    def _save_failed(self, message: str) -> None:
        self._show_error(message)
        self.notify(display(message, 500), severity="error", markup=False)

    def _saved(self, result: sup.SaveResult) -> None:
        message = f"Saved rule {result.rule.name}"
        if result.dismissed:
            message += f"; dismissed {len(result.dismissed)} existing alert(s)"
        self.notify(display(message, 500), markup=False)
        self.dismiss(result)
