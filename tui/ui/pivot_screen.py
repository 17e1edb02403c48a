"""Entity pivot: pick one of an incident's entities and see every alert and incident sharing it."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.model import display
from tui.store.incident_detail import entity_pivot
from tui.ui.incident_view import severity_badge, when


class PivotScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", id="pivot.back"),
        Binding("tab", "app.focus_next", "Switch pane", id="pivot.switch", show=False),
    ]
    DEFAULT_CSS = """
    PivotScreen #pivot-entities { width: 40%; min-width: 28; }
    PivotScreen #pivot-found { width: 1fr; }
    """

    def __init__(self, entities: list[dict[str, Any]]) -> None:
        super().__init__()
        self.entities = entities

    def compose(self) -> ComposeResult:
        yield Static(Text("Pivot on an entity: every alert and incident that shares it"))
        with Horizontal():
            yield OptionList(
                *(
                    Option(
                        Text(f"{e['type']:<9} ")
                        .append(display(e["display"], 80))
                        .append(f"  ({e['alerts']})", style="dim"),
                        id=str(e["id"]),
                    )
                    for e in self.entities
                ),
                id="pivot-entities",
            )
            yield OptionList(id="pivot-found")
        yield Footer(compact=True)

    def action_back(self) -> None:
        self.dismiss()

    @on(OptionList.OptionSelected, "#pivot-entities")
    @on(OptionList.OptionHighlighted, "#pivot-entities")
    def _entity_chosen(self, event: OptionList.OptionMessage) -> None:
        self._load(int(event.option.id))

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self, entity_id: int) -> None:
        found = entity_pivot(self.app.store.conn, entity_id)
        self.app.call_from_thread(self._show, found)

    def _show(self, found: dict[str, Any]) -> None:
        rows = self.query_one("#pivot-found", OptionList)
        rows.clear_options()
        for inc in found["incidents"]:
            label = Text("◆ ", style="bold magenta").append(f"INC-{inc['id']} ")
            label.append_text(severity_badge(inc["severity"]))
            label.append(f" {display(inc['title'], 100)}  ({inc['alert_count']} alerts)")
            rows.add_option(Option(label, id=f"incident:{inc['id']}"))
        for alert in found["alerts"]:
            label = Text(f"  {when(alert['start_time_utc'])} ")
            label.append_text(severity_badge(alert["severity"]))
            label.append(f" {display(alert['title'], 100)}  {alert['status']}")
            rows.add_option(Option(label, id=f"alert:{alert['id']}"))
        more = found["alert_total"] - len(found["alerts"])
        if more > 0:
            rows.add_option(
                Option(Text(f"… and {more:,} older alerts", style="dim"), disabled=True)
            )

    @on(OptionList.OptionSelected, "#pivot-found")
    def _open(self, event: OptionList.OptionSelected) -> None:
        kind, _sep, ident = (event.option.id or "").partition(":")
        if kind == "alert":
            self.app.open_alert(int(ident))
        elif kind == "incident":
            self.app.open_incident(int(ident))
