"""Running playbooks: manual triggers, automatic runs, retries, and the preview of what is sent.

Each run is recorded as `running` before it executes and completed after (both audited). The run
key (playbook + target + a request id the caller chooses once per confirmation) makes a repeated
request return the first run, and the store's one-running-run-per-target index makes two analysts
triggering the same playbook at once execute it once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tui.config import Config
from tui.engine.playbooks import command, webhook
from tui.engine.playbooks.definitions import (
    Playbook,
    PlaybookError,
    get_playbook,
    missing_secrets,
)
from tui.engine.playbooks.payload import Target, build_payload, encode, summary
from tui.model.clock import iso
from tui.store import Store
from tui.store.playbooks import (
    NewRun,
    Run,
    RunResult,
    finish_run,
    get_run,
    start_automatic_run,
    start_run,
)

READONLY_MESSAGE = "read-only mode: playbooks cannot be triggered"


class ReadOnlyError(PlaybookError):
    pass


@dataclass(frozen=True, slots=True)
class Preview:
    """What a run would send, for the confirmation."""

    playbook: Playbook
    target: Target
    body: bytes
    summary: list[str]

    @property
    def missing_secrets(self) -> list[str]:
        """Unset environment variables the run would need: it would fail."""
        return missing_secrets(self.playbook)

    @property
    def header_lines(self) -> list[str]:
        """Header templates as configured: `${env:X}` placeholders, never secret values."""
        return [f"{name}: {template}" for name, template in self.playbook.headers]


def outcome_line(run: Run) -> str:
    """How a run ended, in one line: status, HTTP status or exit code, duration, truncation."""
    parts = [run.status]
    if run.http_status is not None:
        parts.append(f"HTTP {run.http_status}")
    if run.exit_code is not None:
        parts.append(f"exit {run.exit_code}")
    if run.duration_ms is not None:
        parts.append(f"{run.duration_ms} ms")
    if run.truncated:
        parts.append("output truncated")
    return ", ".join(parts)


def preview_payload(store: Store, config: Config, name: str, target: Target) -> Preview:
    playbook = get_playbook(config, name)
    payload = build_payload(store.conn, target)
    return Preview(playbook, target, encode(payload), summary(payload))


def run_playbook(
    store: Store,
    config: Config,
    name: str,
    target: Target,
    actor: str,
    trigger: str = "manual",
    *,
    request_id: str | None = None,
    readonly: bool = False,
) -> Run:
    """Run a playbook on an alert or incident now and return the finished run.

    A repeated `request_id` returns the run it started (finished or still running) instead of
    running again. Raises ReadOnlyError, PlaybookError (unknown playbook or target, or bad
    config) or RunInProgressError (already running on this target).
    """
    _refuse_readonly(store, readonly)
    playbook = get_playbook(config, name)
    body = encode(build_payload(store.conn, target))
    run, created = start_run(
        store.conn,
        _new_run(playbook, target, actor, trigger, request_id or uuid.uuid4().hex),
    )
    return _execute(store, playbook, run, body) if created else run


def retry_run(
    store: Store,
    config: Config,
    run_id: int,
    actor: str,
    *,
    request_id: str | None = None,
    readonly: bool = False,
) -> Run:
    """Run a failed run's playbook again on the same target, with the same idempotency key,
    so a receiver that did act on the first attempt can recognise the repeat."""
    _refuse_readonly(store, readonly)
    original = get_run(store.conn, run_id)
    if original is None:
        raise PlaybookError(f"playbook run {run_id} does not exist")
    if original.status in ("running", "success"):
        raise PlaybookError(f"run {run_id} is {original.status}: only a failed run is retried")
    playbook = get_playbook(config, original.playbook)
    target = Target(original.target_type, original.target_id)
    body = encode(build_payload(store.conn, target))
    new = _new_run(
        playbook,
        target,
        actor,
        "manual",
        f"retry-{run_id}-{request_id or uuid.uuid4().hex}",
        idempotency_key=original.idempotency_key,
        retry_of=run_id,
    )
    run, created = start_run(store.conn, new)
    return _execute(store, playbook, run, body) if created else run


def run_automatic(
    store: Store, playbook: Playbook, target: Target, rule: str, trigger: str, actor: str
) -> Run | None:
    """Run a playbook for an automation rule unless the rule already fired for this target and
    trigger; None when it had."""
    body = encode(build_payload(store.conn, target))
    new = _new_run(playbook, target, actor, "automatic", f"auto-{rule}-{trigger}", rule=rule)
    run = start_automatic_run(store.conn, new, trigger)
    return _execute(store, playbook, run, body) if run else None


def _refuse_readonly(store: Store, readonly: bool) -> None:
    if readonly or store.readonly:
        raise ReadOnlyError(READONLY_MESSAGE)


def _new_run(
    playbook: Playbook,
    target: Target,
    actor: str,
    trigger: str,
    request_id: str,
    *,
    idempotency_key: str | None = None,
    rule: str = "",
    retry_of: int | None = None,
) -> NewRun:
    deadline = datetime.now(UTC) + timedelta(seconds=playbook.max_seconds)
    return NewRun(
        run_key=f"{playbook.name}|{target.type}:{target.id}|{request_id}",
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        playbook=playbook.name,
        kind=playbook.kind,
        target_type=target.type,
        target_id=target.id,
        trigger=trigger,
        actor=actor,
        deadline_at=iso(deadline),
        rule=rule,
        retry_of=retry_of,
    )


def _execute(store: Store, playbook: Playbook, run: Run, body: bytes) -> Run:
    try:
        if playbook.kind == "webhook":
            result = webhook.post(playbook, body, run.idempotency_key)
        else:
            result = command.execute(playbook, body, _threatdesk_vars(run))
    except Exception as exc:  # the run row must never stay 'running': record why it failed
        result = RunResult(status="failed", duration_ms=0, error=_reason(exc))
    return finish_run(store.conn, run.id, result)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PlaybookError):
        return str(exc)
    return f"internal error: {exc.__class__.__name__}: {exc}"


def _threatdesk_vars(run: Run) -> dict[str, str]:
    """What a command learns from its environment: ids and names, never alert text."""
    return {
        "THREATDESK_PLAYBOOK": run.playbook,
        "THREATDESK_TARGET_TYPE": run.target_type,
        "THREATDESK_TARGET_ID": str(run.target_id),
        "THREATDESK_RUN_ID": str(run.id),
        "THREATDESK_TRIGGER": run.trigger,
        "THREATDESK_ACTOR": run.actor,
        "THREATDESK_IDEMPOTENCY_KEY": run.idempotency_key,
    }
