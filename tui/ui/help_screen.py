"""`?` help, built from the live bindings of the screen underneath: what is shown is what the
keys do now (remapped keys included, unavailable ones marked)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.commands import USAGE


def help_text(rows: list[tuple[str, str, str, bool]]) -> Text:
    """rows: (keys, description, binding id, enabled)."""
    text = Text()
    text.append("Keys on this screen", style="bold underline")
    text.append('   (remap in config.toml [keys]: "binding.id" = "key")\n')
    for keys, description, binding_id, enabled in rows:
        style = "" if enabled else "dim"
        text.append(f"  {keys:<16}", style="bold " + style)
        text.append(f"{description:<34}", style=style)
        text.append(f"{binding_id}{'' if enabled else '  (not now)'}\n", style="dim")
    text.append("\nCommand bar (:)\n", style="bold underline")
    text.append(USAGE + "\n")
    text.append("\nctrl+p opens the command palette: every action by name.\n")
    return text


class HelpScreen(ModalScreen):
    BINDINGS: ClassVar = [
        Binding("escape,question_mark,q", "dismiss", "Close help", id="help.close"),
        Binding("j,down", "scroll(1)", show=False),
        Binding("k,up", "scroll(-1)", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: 90%; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str, bool]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(self.rows), id="help-text")

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
