"""The `t` dialog: pick a playbook (fuzzy), see what will be sent, confirm, run in the background.

The run is an app-level thread worker, so the analyst may close the dialog while a slow webhook
or command runs; the result arrives as a notification (and in the run log) either way, and in the
dialog while it is open. Everything alert-derived reaches widgets as `Text` built from
`display()`, and notifications use `markup=False`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from rapidfuzz import fuzz, process, utils
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.config import Config, current_user
from tui.engine.playbooks import (
    READONLY_MESSAGE,
    Playbook,
    PlaybookError,
    Preview,
    Run,
    Target,
    load_playbooks,
    outcome_line,
    preview_payload,
    run_playbook,
)
from tui.model.text import display
from tui.store import Store, StoreError
from tui.ui.dialogs import ConfirmDialog

PREVIEW_JSON_CHARS = 3000
FUZZY_CUTOFF, FUZZY_SPREAD = 60, 15
DESCRIPTION_CHARS = 44  # one line per playbook in an 80-column terminal
STATUS_STYLE = {"success": "green", "failed": "red", "timeout": "yellow", "running": "cyan"}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_summary(run: Run) -> Text:
    """Outcome line, error and output excerpt of a finished run, safe to display."""
    text = Text(f"run {run.id}: ")
    text.append(outcome_line(run), STATUS_STYLE.get(run.status, ""))
    if run.error:
        text.append(f"\n{display(run.error, 500)}", "red")
    if run.output:
        text.append("\n" + display(run.output, 2000, multiline=True))
    return text


class PlaybookPicker(ModalScreen[Run | None]):
    """Choose and run a playbook on one alert or incident; dismisses with the last run or None."""

    DEFAULT_CSS = """
    PlaybookPicker { align: center middle; }
    PlaybookPicker > Vertical {
        width: 100; max-width: 100%; height: 100%; max-height: 40;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PlaybookPicker OptionList { height: auto; max-height: 6; }
    PlaybookPicker #preview-box { height: 1fr; min-height: 3; border-top: solid $primary; }
    PlaybookPicker #result { height: auto; max-height: 8; }
    PlaybookPicker .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="playbooks.close"),
        Binding("down", "move(1)", "Next", show=False, id="playbooks.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="playbooks.up"),
    ]

    def __init__(
        self, store: Store, config: Config, target: Target, *, readonly: bool = False
    ) -> None:
        super().__init__()
        self.store, self.config, self.target, self.readonly = store, config, target, readonly
        self.playbooks: dict[str, Playbook] = {}
        self.running = False
        self.last_run: Run | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Trigger automated response on {self.target}", "bold"))
            yield Input(placeholder="type to filter playbooks", id="filter")
            yield OptionList(id="playbooks")
            with VerticalScroll(id="preview-box"):
                yield Static(id="preview")
            yield Static(id="result")
            yield Label("↑↓ choose · enter run (asks first) · esc close", classes="hint")

    def on_mount(self) -> None:
        try:
            self.playbooks = load_playbooks(self.config)
        except PlaybookError as exc:
            self._say(Text(display(str(exc), 500), "red"))
            return
        if not self.playbooks:
            self._say(Text("No playbooks configured: add [playbooks.NAME] tables to the config."))
        elif self.readonly:
            self._say(Text(READONLY_MESSAGE, "yellow"))
        self._fill("")

    # --- choosing ---------------------------------------------------------------------------

    def _ranked(self, query: str) -> list[Playbook]:
        if not query.strip():
            return list(self.playbooks.values())
        choices = {n: f"{n} {p.kind} {p.description}" for n, p in self.playbooks.items()}
        found = process.extract(
            query,
            choices,
            scorer=fuzz.partial_ratio,
            processor=utils.default_process,
            limit=None,
            score_cutoff=FUZZY_CUTOFF,
        )
        # Ranked best first; a typo still finds its playbook, and far worse matches drop out.
        best = found[0][1] if found else 0
        return [self.playbooks[key] for _c, score, key in found if score >= best - FUZZY_SPREAD]

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Text.assemble(
                    (display(p.name, 40), "bold"),
                    f"  {p.kind}  ",
                    (_short(display(p.description, 200), DESCRIPTION_CHARS), "dim"),
                ),
                id=p.name,
            )
            for p in self._ranked(query)
        )
        if options.option_count:
            options.highlighted = 0
        else:
            self.query_one("#preview", Static).update("")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._load_preview(event.option.id)

    @work(thread=True, exclusive=True, group="playbook-preview")
    def _load_preview(self, name: str) -> None:
        try:
            preview: Preview | str = preview_payload(self.store, self.config, name, self.target)
        except (PlaybookError, StoreError) as exc:
            preview = str(exc)
        self.app.call_from_thread(self._show_preview, preview)

    def _show_preview(self, preview: Preview | str) -> None:
        widget = self.query_one("#preview", Static)
        if isinstance(preview, str):
            widget.update(Text(display(preview, 500), "red"))
            return
        text = Text.assemble(("sends to  ", "bold"), display(preview.playbook.destination, 300))
        for line in preview.header_lines:
            text.append("\nheader    ", "bold").append(display(line, 200))
        for name in preview.missing_secrets:
            text.append(f"\nenvironment variable {name} is not set: the run would fail", "red")
        for line in preview.summary:
            text.append("\n" + line)
        body = preview.body.decode("utf-8", "replace")
        text.append(f"\n{len(preview.body):,} bytes of JSON:\n", "bold")
        text.append(display(body, PREVIEW_JSON_CHARS, multiline=True), "dim")
        widget.update(text)

    # --- running ----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._confirm()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._confirm()

    def _confirm(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None or self.running:
            return
        if self.readonly:
            self.notify(READONLY_MESSAGE, severity="warning", markup=False)
            return
        name = option.id
        question = Text(f"Run playbook {display(name, 40)} on {self.target}?")
        # One request id per confirmation: a repeated submit returns the same run.
        request_id = uuid.uuid4().hex
        self.app.push_screen(
            ConfirmDialog(question),
            callback=lambda yes: self._start(name, request_id) if yes else None,
        )

    def _start(self, name: str, request_id: str) -> None:
        self.running = True
        self._say(Text(f"running {name}… (esc closes; the result will be notified)", "cyan"))
        app = self.app
        app.run_worker(
            partial(self._run, app, name, request_id),
            thread=True,
            group="playbook-run",
            exit_on_error=False,
        )

    def _run(self, app: App, name: str, request_id: str) -> None:
        try:
            run = run_playbook(
                self.store,
                self.config,
                name,
                self.target,
                current_user(),
                request_id=request_id,
                readonly=self.readonly,
            )
        except (PlaybookError, StoreError) as exc:
            app.call_from_thread(self._refused, app, name, str(exc))
            return
        app.call_from_thread(self._finished, app, run)

    def _refused(self, app: App, name: str, reason: str) -> None:
        self.running = False
        app.notify(f"{name}: {reason}", severity="error", markup=False, timeout=10)
        if self.is_attached:
            self._say(Text(display(reason, 500), "red"))

    def _finished(self, app: App, run: Run) -> None:
        self.running = False
        self.last_run = run
        message = f"{run.playbook} on {self.target}: {outcome_line(run)}"
        if run.error:
            message += f"\n{display(run.error, 300)}"
        severity = "information" if run.status == "success" else "error"
        app.notify(message, title="Playbook run", severity=severity, markup=False, timeout=10)
        if self.is_attached:
            self._say(run_summary(run))

    def _say(self, text: Text) -> None:
        self.query_one("#result", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(self.last_run)


def playbook_extension(config: Config) -> Callable[[App, list[tuple[str, int]]], None]:
    """The handler the app registers for `trigger_response` (`t`): one target at a time."""

    def open_picker(app: App, targets: list[tuple[str, int]]) -> None:
        if len(targets) != 1:
            app.notify("Choose one alert or incident to respond to.", markup=False)
            return
        kind, target_id = targets[0]
        readonly = bool(getattr(app, "readonly", False))
        app.push_screen(
            PlaybookPicker(app.store, config, Target(kind, target_id), readonly=readonly)
        )

    return open_picker
