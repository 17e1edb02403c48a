"""Playbooks: webhook and command responses to an alert or incident, by hand or automatic."""

from tui.engine.playbooks.definitions import Playbook, PlaybookError, load_playbooks
from tui.engine.playbooks.payload import Target, TargetNotFoundError
from tui.engine.playbooks.runner import (
    READONLY_MESSAGE,
    Preview,
    ReadOnlyError,
    outcome_line,
    preview_payload,
    retry_run,
    run_playbook,
)
from tui.store.playbooks import Run, RunInProgressError, get_run, list_runs

__all__ = [
    "READONLY_MESSAGE",
    "Playbook",
    "PlaybookError",
    "Preview",
    "ReadOnlyError",
    "Run",
    "RunInProgressError",
    "Target",
    "TargetNotFoundError",
    "get_run",
    "list_runs",
    "load_playbooks",
    "outcome_line",
    "preview_payload",
    "retry_run",
    "run_playbook",
]
