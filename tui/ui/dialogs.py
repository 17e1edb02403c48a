"""Small modal dialogs for triage: choose a status, close with a classification, comment,
confirm. Each dismisses with its answer, or None when the analyst presses esc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.model import Classification, Status

_CANCEL = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]


@dataclass(frozen=True)
class Closing:
    classification: Classification
    comment: str


class _Dialog(ModalScreen):
    BINDINGS = _CANCEL
    DEFAULT_CSS = """
    _Dialog { align: center middle; }
    _Dialog > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    _Dialog OptionList { height: auto; max-height: 8; }
    _Dialog .hint { color: $text-muted; }
    """

    def action_cancel(self) -> None:
        self.dismiss(None)


class StatusDialog(_Dialog):
    """Pick the new status (1-4 or arrows + enter)."""

    BINDINGS: ClassVar = [
        *_CANCEL,
        *(Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 5)),
    ]

    def __init__(self, subject: Text) -> None:
        super().__init__()
        self.subject = subject

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Set status of ").append_text(self.subject))
            yield OptionList(
                *(Option(f"{n}  {s.value}", id=s.value) for n, s in enumerate(Status, 1))
            )
            yield Label("enter choose · esc cancel", classes="hint")

    def action_pick(self, index: int) -> None:
        self.dismiss(list(Status)[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Status(event.option.id))


class CloseDialog(_Dialog):
    """Closing needs a classification (1-4) and an optional comment."""

    def __init__(self, subject: Text, status: Status) -> None:
        super().__init__()
        self.subject = subject
        self.status = status

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                Text(f"Close as {self.status.value}: ").append_text(self.subject)
                + Text("\nClassification:")
            )
            yield OptionList(
                *(Option(f"{n}  {c.label}", id=c.value) for n, c in enumerate(Classification, 1))
            )
            yield Label("Comment (enter to save):")
            yield Input(placeholder="why (optional)", id="comment")
            yield Label("esc cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_key(self, event) -> None:
        options = self.query_one(OptionList)
        if options.has_focus and event.key in "1234" and len(event.key) == 1:
            options.highlighted = int(event.key) - 1
            self.query_one("#comment", Input).focus()
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#comment", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        choice = options.get_option_at_index(options.highlighted or 0)
        self.dismiss(Closing(Classification(choice.id), event.value))


class TextDialog(_Dialog):
    """One line of text (a comment); enter saves."""

    def __init__(self, prompt: Text, placeholder: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt)
            yield Input(placeholder=self.placeholder)
            yield Label("enter save · esc cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class ConfirmDialog(_Dialog):
    """y confirms, n or esc cancels: for changes to many records at once."""

    BINDINGS: ClassVar = [
        *_CANCEL,
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label("y yes · n no", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
