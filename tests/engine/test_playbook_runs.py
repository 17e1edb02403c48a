"""The run log: idempotent triggering, one run per target at a time, retries, read-only refusal,
audit rows and previews (SECURITY 34)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from tests.engine.playbook_support import add_alert, add_incident, config_from
from tui.config import Config
from tui.engine.playbooks import (
    PlaybookError,
    ReadOnlyError,
    RunInProgressError,
    Target,
    TargetNotFoundError,
    list_runs,
    preview_payload,
    retry_run,
    run_playbook,
)
from tui.store import Store, transaction
from tui.store.audit import history, verify_chain
from tui.store.playbooks import NewRun, start_run

PY = sys.executable


def _counting_config(tmp_path: Path, *, exit_code: int = 0, sleep: float = 0) -> Config:
    """A command playbook that appends one line per execution to executions.log."""
    script = tmp_path / "count.py"
    script.write_text(
        "import sys, time\n"
        f"time.sleep({sleep})\n"
        "open('executions.log', 'a').write('x\\n')\n"
        f"sys.exit({exit_code})\n"
    )
    return config_from(
        f'[playbooks.count]\nkind = "command"\nargv = ["{PY}", "{script}"]\ncwd = "{tmp_path}"\n',
        tmp_path,
    )


def _executions(tmp_path: Path) -> int:
    log = tmp_path / "executions.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_same_request_twice_executes_once(store: Store, tmp_path: Path) -> None:
    config = _counting_config(tmp_path)
    target = Target("alert", add_alert(store))
    first = run_playbook(store, config, "count", target, "alice", request_id="req-1")
    again = run_playbook(store, config, "count", target, "bob", request_id="req-1")
    assert again.id == first.id and again.actor == "alice"
    assert _executions(tmp_path) == 1


def test_two_analysts_triggering_together_execute_once(store: Store, tmp_path: Path) -> None:
    config = _counting_config(tmp_path, sleep=1.0)
    target = Target("alert", add_alert(store))
    outcomes: list[object] = []

    def trigger(actor: str) -> None:
        try:
            outcomes.append(run_playbook(store, config, "count", target, actor))
        except RunInProgressError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=trigger, args=(who,)) for who in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes if isinstance(o, RunInProgressError)]
    assert len(refused) == 1 and "already running on alert" in str(refused[0])
    assert _executions(tmp_path) == 1
    # once it finished, the playbook can run again
    assert run_playbook(store, config, "count", target, "bob").status == "success"


def test_a_run_abandoned_by_a_dead_process_does_not_block_forever(
    store: Store, tmp_path: Path
) -> None:
    config = _counting_config(tmp_path)
    alert_id = add_alert(store)
    stale, _ = start_run(
        store.conn,
        NewRun(
            run_key="stale",
            idempotency_key="k",
            playbook="count",
            kind="command",
            target_type="alert",
            target_id=alert_id,
            trigger="manual",
            actor="carol",
            deadline_at="2000-01-01T00:00:00.000000Z",
        ),
    )
    run = run_playbook(store, config, "count", Target("alert", alert_id), "alice")
    assert run.status == "success"
    [_new, old] = list_runs(store.conn, "alert", alert_id)
    assert old.id == stale.id and old.status == "failed" and "abandoned" in old.error


def test_failed_runs_are_logged_and_retried_with_the_same_key(store: Store, tmp_path: Path) -> None:
    target = Target("incident", add_incident(store, [add_alert(store)]))
    failed = run_playbook(store, _counting_config(tmp_path, exit_code=2), "count", target, "al")
    assert (failed.status, failed.exit_code, failed.trigger) == ("failed", 2, "manual")
    retried = retry_run(store, _counting_config(tmp_path), failed.id, "bob")
    assert retried.status == "success" and retried.retry_of == failed.id
    assert retried.idempotency_key == failed.idempotency_key and retried.actor == "bob"
    assert [r.id for r in list_runs(store.conn, "incident", target.id)] == [retried.id, failed.id]
    assert list_runs(store.conn, "alert", 999) == []
    with pytest.raises(PlaybookError, match="only a failed run is retried"):
        retry_run(store, _counting_config(tmp_path), retried.id, "bob")


def test_every_run_is_audited_and_the_chain_holds(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    run = run_playbook(store, _counting_config(tmp_path), "count", Target("alert", alert_id), "al")
    actions = [
        (h["actor"], h["action"], h["after"]) for h in history(store.conn, "alert", alert_id)
    ]
    assert actions == [
        ("al", "playbook.run", {"run": run.id, "playbook": "count", "trigger": "manual"}),
        (
            "al",
            "playbook.result",
            {
                "run": run.id,
                "playbook": "count",
                "status": "success",
                "exit_code": 0,
                "duration_ms": run.duration_ms,
                "truncated": False,
            },
        ),
    ]
    assert verify_chain(store.conn) is None
    with pytest.raises(Exception, match="append-only"), transaction(store.conn) as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory'")


def test_readonly_refuses_to_trigger(store: Store, tmp_path: Path) -> None:
    config = _counting_config(tmp_path)
    alert_id = add_alert(store)
    with pytest.raises(ReadOnlyError, match="read-only"):
        run_playbook(store, config, "count", Target("alert", alert_id), "al", readonly=True)
    readonly_store = Store(store.path, readonly=True)
    try:
        with pytest.raises(ReadOnlyError):
            run_playbook(readonly_store, config, "count", Target("alert", alert_id), "al")
    finally:
        readonly_store.close()
    assert _executions(tmp_path) == 0 and list_runs(store.conn) == []


def test_unknown_playbooks_and_targets_are_named(store: Store, tmp_path: Path) -> None:
    config = _counting_config(tmp_path)
    with pytest.raises(PlaybookError, match=r"no playbook named 'nope' \(playbooks: count\)"):
        run_playbook(store, config, "nope", Target("alert", 1), "al")
    with pytest.raises(TargetNotFoundError, match="incident 42 does not exist"):
        run_playbook(store, config, "count", Target("incident", 42), "al")
    with pytest.raises(ValueError, match="alert or an incident"):
        Target("host", 1)


def test_preview_shows_what_will_be_sent_without_secrets(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TD_TOKEN", "very-secret")
    alert_id = add_alert(store, title="Mimikatz \x1b[31m detected", severity="High")
    config = config_from(
        '[playbooks.hook]\nkind = "webhook"\nurl = "https://tickets.example/api"\n'
        '[playbooks.hook.headers]\nAuthorization = "Bearer ${env:TD_TOKEN}"\n',
        tmp_path,
    )
    preview = preview_payload(store, config, "hook", Target("alert", alert_id))
    assert preview.playbook.destination == "POST https://tickets.example/api"
    assert preview.header_lines == ["Authorization: Bearer ${env:TD_TOKEN}"]
    assert preview.summary[0] == f"alert {alert_id}: Mimikatz \\e[31m detected"
    assert preview.summary[1].startswith("severity High, status Active")
    assert b"very-secret" not in preview.body and b"Mimikatz" in preview.body
    assert list_runs(store.conn) == []  # a preview runs nothing
    assert preview.missing_secrets == []
    monkeypatch.delenv("TD_TOKEN")
    assert preview.missing_secrets == ["TD_TOKEN"]
