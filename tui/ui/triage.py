"""Triage from any screen that can name its targets: status (closing asks for a classification
and a comment), assign to me, comment, and the actions other parts provide (suppress, respond,
report). Engine calls run in thread workers; results come back as notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.config import current_user
from tui.engine import triage
from tui.model import Status, display
from tui.store.db import StoreError
from tui.ui.dialogs import CloseDialog, Closing, ConfirmDialog, StatusDialog, TextDialog
from tui.ui.keys import DATA_CHANGING_ACTIONS

# Actions whose screens other parts provide; the app hides them until a handler is registered.
EXTENSION_ACTIONS = ("suppress", "trigger_response", "report")
TARGET_ACTIONS = frozenset({"status", "assign_me", "comment", *EXTENSION_ACTIONS})


@dataclass(frozen=True)
class TriageTarget:
    target: tuple[str, int]  # ("alert" | "incident", id)
    version: int  # the version the analyst saw: a change made since is a conflict
    title: str

    @property
    def label(self) -> str:
        kind, rid = self.target
        return f"INC-{rid}" if kind == "incident" else f"alert #{rid}"


def subject(targets: list[TriageTarget]) -> Text:
    if len(targets) == 1:
        return Text(f"{targets[0].label} ") + Text(display(targets[0].title, 120), style="bold")
    return Text(f"{len(targets)} marked rows", style="bold")


class TriageActions(Screen):
    """A screen whose triage keys act on `triage_targets()`."""

    def triage_targets(self) -> list[TriageTarget]:
        raise NotImplementedError

    def triage_done(self) -> None:
        """Called after a change was written (the list clears its marks)."""

    def status_cascade(self) -> Text | None:
        """A question to ask before a status change may also apply to contained alerts."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in DATA_CHANGING_ACTIONS and self.app.readonly:
            return False
        if action in EXTENSION_ACTIONS and action not in self.app.extensions:
            return False
        if action in TARGET_ACTIONS and not self.triage_targets():
            return None
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A read that failed (database busy, file gone) is reported; the screen stays up."""
        if event.state is WorkerState.ERROR:
            self.notify(display(str(event.worker.error), 500), severity="error", markup=False)

    # --- status ----------------------------------------------------------------------------

    def action_status(self) -> None:
        targets = self.triage_targets()
        if targets:
            self.app.push_screen(StatusDialog(subject(targets)), self._status_chosen(targets))

    def _status_chosen(self, targets: list[TriageTarget]) -> Callable[[Status | None], None]:
        def chosen(status: Status | None) -> None:
            if status is None:
                return
            if status.is_open:
                self._confirm_many(targets, lambda: self._ask_cascade(targets, status, None))
                return

            def closed(closing: Closing | None) -> None:
                if closing is not None:
                    self._confirm_many(targets, lambda: self._ask_cascade(targets, status, closing))

            self.app.push_screen(CloseDialog(subject(targets), status), closed)

        return chosen

    def _confirm_many(self, targets: list[TriageTarget], then: Callable[[], object]) -> None:
        if len(targets) == 1:
            then()
            return
        question = Text(f"Apply this change to {len(targets)} rows?")
        self.app.push_screen(ConfirmDialog(question), lambda yes: then() if yes else None)

    def _ask_cascade(
        self, targets: list[TriageTarget], status: Status, closing: Closing | None
    ) -> None:
        question = self.status_cascade()
        if question is None:
            self._set_status(targets, status, closing)
            return
        self.app.push_screen(
            ConfirmDialog(question), lambda yes: self._set_status(targets, status, closing, yes)
        )

    @work(thread=True, group="triage", exit_on_error=False)
    def _set_status(
        self,
        targets: list[TriageTarget],
        status: Status,
        closing: Closing | None,
        cascade: bool = False,
    ) -> None:
        kwargs = {}
        if closing is not None:
            kwargs = {"classification": closing.classification, "comment": closing.comment}
        store = self.app.store
        try:
            if len(targets) == 1:
                t = targets[0]
                triage.set_status(
                    store, t.target, status, expected_version=t.version, cascade=cascade, **kwargs
                )
                self._report(f"{t.label} set to {status.value}")
            else:
                pairs = [(t.target, t.version) for t in targets]
                result = triage.bulk_set_status(store, pairs, status, **kwargs)
                self._report_bulk(len(result.changed), result.conflicts, status.value)
        except StoreError as exc:
            self._report(str(exc), error=True)
        self.app.call_from_thread(self._changed)

    # --- assign and comment ----------------------------------------------------------------

    def action_assign_me(self) -> None:
        targets = self.triage_targets()
        if targets:
            self._confirm_many(targets, lambda: self._assign(targets, current_user()))

    @work(thread=True, group="triage", exit_on_error=False)
    def _assign(self, targets: list[TriageTarget], owner: str) -> None:
        done, conflicts = 0, []
        for t in targets:
            try:
                triage.assign(self.app.store, t.target, owner, expected_version=t.version)
                done += 1
            except StoreError as exc:
                conflicts.append((t.target, str(exc)))
        self._report_bulk(done, conflicts, f"assigned to {owner}")
        self.app.call_from_thread(self._changed)

    def action_comment(self) -> None:
        targets = self.triage_targets()
        if not targets:
            return
        prompt = Text("Comment on ").append_text(subject(targets))

        def entered(body: str | None) -> None:
            if body is not None:
                self._comment(targets, body)

        self.app.push_screen(TextDialog(prompt, "what you found or did"), entered)

    @work(thread=True, group="triage", exit_on_error=False)
    def _comment(self, targets: list[TriageTarget], body: str) -> None:
        done, failures = 0, []
        for t in targets:
            try:
                triage.add_comment(self.app.store, t.target, body)
                done += 1
            except StoreError as exc:
                failures.append((t.target, str(exc)))
        self._report_bulk(done, failures, "commented")
        self.app.call_from_thread(self._changed)

    # --- other parts' screens --------------------------------------------------------------

    def _extension(self, action: str) -> None:
        targets = self.triage_targets()
        handler = self.app.extensions.get(action)
        if handler and targets:
            handler(self.app, [t.target for t in targets])

    def action_suppress(self) -> None:
        self._extension("suppress")

    def action_trigger_response(self) -> None:
        self._extension("trigger_response")

    def action_report(self) -> None:
        self._extension("report")

    # --- feedback --------------------------------------------------------------------------

    def _changed(self) -> None:
        self.triage_done()
        self.app.data_changed()

    def _report(self, message: str, *, error: bool = False) -> None:
        self.app.call_from_thread(
            self.notify,
            display(message, 500),
            severity="error" if error else "information",
            markup=False,
        )

    def _report_bulk(self, done: int, failures: list[tuple[object, str]], what: str) -> None:
        if done:
            self._report(f"{done} {'row' if done == 1 else 'rows'} {what}")
        for _target, reason in failures[:5]:
            self._report(reason, error=True)
        if len(failures) > 5:
            self._report(f"… and {len(failures) - 5} more conflicts", error=True)
