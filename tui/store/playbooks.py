"""Playbook runs, automation firings, and the alert/incident rows a playbook payload is built from.

A run row is written before the playbook executes (status `running`) and completed after, each in
its own short transaction with its audit row: the database lock is never held while a webhook or
command runs. A partial unique index allows one running run per playbook and target, so two
analysts triggering the same response at once execute it once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import orjson

from tui.model.clock import utcnow
from tui.store.alerts import SOURCE_COLUMNS
from tui.store.audit import record
from tui.store.db import StoreError, transaction


class RunInProgressError(StoreError):
    """The playbook is already running on this target (possibly started by another analyst)."""


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    run_key: str
    idempotency_key: str
    playbook: str
    kind: str
    target_type: str
    target_id: int
    trigger: str
    rule: str
    actor: str
    retry_of: int | None
    status: str
    truncated: bool
    http_status: int | None
    exit_code: int | None
    attempts: int
    started_at: str
    deadline_at: str
    finished_at: str | None
    duration_ms: int | None
    output: str
    error: str


@dataclass(frozen=True, slots=True)
class NewRun:
    """What is known about a run before it executes."""

    run_key: str
    idempotency_key: str
    playbook: str
    kind: str
    target_type: str
    target_id: int
    trigger: str
    actor: str
    deadline_at: str
    rule: str = ""
    retry_of: int | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended."""

    status: str
    duration_ms: int
    attempts: int = 1
    truncated: bool = False
    http_status: int | None = None
    exit_code: int | None = None
    output: str = ""
    error: str = ""


_RUN_COLUMNS = ", ".join(f.name for f in fields(Run))


def _run(row: tuple) -> Run:
    values = dict(zip((f.name for f in fields(Run)), row, strict=True))
    values["truncated"] = bool(values["truncated"])
    return Run(**values)


def get_run(conn: sqlite3.Connection, run_id: int) -> Run | None:
    row = conn.execute(f"SELECT {_RUN_COLUMNS} FROM playbook_runs WHERE id = ?", (run_id,))
    found = row.fetchone()
    return _run(found) if found else None


def list_runs(
    conn: sqlite3.Connection,
    target_type: str | None = None,
    target_id: int | None = None,
    limit: int = 500,
) -> list[Run]:
    """Runs, newest first: all of them, or those of one alert or incident."""
    if target_type is None:
        rows = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM playbook_runs ORDER BY id DESC LIMIT ?", (limit,)
        )
    else:
        rows = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM playbook_runs WHERE target_type = ? AND target_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (target_type, target_id, limit),
        )
    return [_run(r) for r in rows]


def start_run(conn: sqlite3.Connection, new: NewRun) -> tuple[Run, bool]:
    """Record a run as started; return (run, True), or (the earlier run, False) for a repeated key.

    Raises RunInProgressError when the playbook is already running on the target.
    """
    with transaction(conn):
        existing = _by_key(conn, new.run_key)
        if existing is not None:
            return existing, False
        return _insert_run(conn, new), True


def start_automatic_run(conn: sqlite3.Connection, new: NewRun, trigger: str) -> Run | None:
    """Record an automation firing and its run together; None if the rule already fired."""
    with transaction(conn):
        fired = conn.execute(
            "SELECT 1 FROM automation_firings WHERE rule = ? AND trigger = ? AND target_type = ?"
            " AND target_id = ?",
            (new.rule, trigger, new.target_type, new.target_id),
        ).fetchone()
        if fired:
            return None
        run = _insert_run(conn, new)
        conn.execute(
            "INSERT INTO automation_firings (rule, trigger, target_type, target_id, run_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (new.rule, trigger, new.target_type, new.target_id, run.id, run.started_at),
        )
        return run


def _by_key(conn: sqlite3.Connection, run_key: str) -> Run | None:
    row = conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM playbook_runs WHERE run_key = ?", (run_key,)
    ).fetchone()
    return _run(row) if row else None


def _insert_run(conn: sqlite3.Connection, new: NewRun) -> Run:
    now = utcnow()
    _abandon_stale(conn, new, now)
    try:
        cursor = conn.execute(
            "INSERT INTO playbook_runs (run_key, idempotency_key, playbook, kind, target_type,"
            " target_id, trigger, rule, actor, retry_of, status, started_at, deadline_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
            (
                new.run_key,
                new.idempotency_key,
                new.playbook,
                new.kind,
                new.target_type,
                new.target_id,
                new.trigger,
                new.rule,
                new.actor,
                new.retry_of,
                now,
                new.deadline_at,
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise _in_progress(conn, new) from exc
    run_id = cursor.lastrowid
    after = {"run": run_id, "playbook": new.playbook, "trigger": new.trigger}
    if new.rule:
        after["rule"] = new.rule
    if new.retry_of is not None:
        after["retry_of"] = new.retry_of
    record(conn, new.actor, "playbook.run", new.target_type, new.target_id, None, after)
    run = get_run(conn, run_id)
    assert run is not None
    return run


def _abandon_stale(conn: sqlite3.Connection, new: NewRun, now: str) -> None:
    """A run still 'running' past its deadline belongs to a threatdesk that died: close it."""
    stale = conn.execute(
        "SELECT id, actor FROM playbook_runs WHERE status = 'running' AND playbook = ?"
        " AND target_type = ? AND target_id = ? AND deadline_at < ?",
        (new.playbook, new.target_type, new.target_id, now),
    ).fetchall()
    for run_id, actor in stale:
        conn.execute(
            "UPDATE playbook_runs SET status = 'failed', finished_at = ?,"
            " error = 'abandoned: threatdesk stopped before the run finished' WHERE id = ?",
            (now, run_id),
        )
        record(
            conn,
            actor,
            "playbook.result",
            new.target_type,
            new.target_id,
            None,
            {"run": run_id, "playbook": new.playbook, "status": "failed", "error": "abandoned"},
        )


def _in_progress(conn: sqlite3.Connection, new: NewRun) -> RunInProgressError:
    row = conn.execute(
        "SELECT id, actor, started_at FROM playbook_runs WHERE status = 'running'"
        " AND playbook = ? AND target_type = ? AND target_id = ?",
        (new.playbook, new.target_type, new.target_id),
    ).fetchone()
    who = f" (run {row[0]}, started by {row[1]} at {row[2]})" if row else ""
    return RunInProgressError(
        f"playbook {new.playbook} is already running on {new.target_type} {new.target_id}{who};"
        " it was not started again"
    )


def finish_run(conn: sqlite3.Connection, run_id: int, result: RunResult) -> Run:
    """Store how a run ended, with its audit row."""
    with transaction(conn):
        run = get_run(conn, run_id)
        if run is None:
            raise StoreError(f"playbook run {run_id} does not exist")
        conn.execute(
            "UPDATE playbook_runs SET status = ?, truncated = ?, http_status = ?, exit_code = ?,"
            " attempts = ?, finished_at = ?, duration_ms = ?, output = ?, error = ? WHERE id = ?",
            (
                result.status,
                int(result.truncated),
                result.http_status,
                result.exit_code,
                result.attempts,
                utcnow(),
                result.duration_ms,
                result.output,
                result.error,
                run_id,
            ),
        )
        after: dict[str, Any] = {
            "run": run_id,
            "playbook": run.playbook,
            "status": result.status,
            "duration_ms": result.duration_ms,
            "truncated": result.truncated,
        }
        if result.http_status is not None:
            after["http_status"] = result.http_status
        if result.exit_code is not None:
            after["exit_code"] = result.exit_code
        record(conn, run.actor, "playbook.result", run.target_type, run.target_id, None, after)
    finished = get_run(conn, run_id)
    assert finished is not None
    return finished


# --- the rows a payload is built from -----------------------------------------------------------

_JSON_ALERT_COLUMNS = frozenset(
    {
        "remediation_steps",
        "extended_properties",
        "extended_links",
        "supporting_evidence",
        "resource_identifiers",
    }
)
_JSON_INCIDENT_COLUMNS = frozenset({"stages", "resources", "reasons"})
# Every alert column a payload or an automation rule may use; `raw` (possibly megabytes, and
# already represented by the columns) is left out.
ALERT_COLUMNS = (
    "id",
    "source_id",
    *(c for c in SOURCE_COLUMNS if c not in ("raw", "content_hash")),
    "imported_at",
    "status",
    "owner",
    "classification",
    "classification_comment",
    "suppressed_by_rule",
    "version",
    "updated_at",
)


def _dicts(cursor: sqlite3.Cursor, json_columns: frozenset[str]) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    decode = [n for n in names if n in json_columns]
    out = []
    for row in cursor:
        item = dict(zip(names, row, strict=True))
        for column in decode:
            item[column] = orjson.loads(item[column])
        out.append(item)
    return out


def _chunks(ids: list[int]) -> Iterator[tuple[list[int], str]]:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


def alert_rows(
    conn: sqlite3.Connection, alert_ids: list[int], columns: Sequence[str] = ALERT_COLUMNS
) -> list[dict[str, Any]]:
    """Alert columns (JSON decoded) in the order of `alert_ids`; unknown ids are skipped.

    `columns` (a subset of ALERT_COLUMNS; `id` is always included) lets automation read only
    what its rules use.
    """
    unknown = set(columns) - set(ALERT_COLUMNS)
    if unknown:
        raise ValueError(f"not alert columns: {', '.join(sorted(unknown))}")
    selected = ", ".join(dict.fromkeys(("id", *columns)))
    found: dict[int, dict[str, Any]] = {}
    for chunk, marks in _chunks(alert_ids):
        cursor = conn.execute(f"SELECT {selected} FROM alerts WHERE id IN ({marks})", chunk)
        found.update((row["id"], row) for row in _dicts(cursor, _JSON_ALERT_COLUMNS))
    return [found[i] for i in alert_ids if i in found]


def alert_entities(
    conn: sqlite3.Connection, alert_ids: list[int], types: Collection[str] | None = None
) -> dict[int, list[dict]]:
    """Entities (type, key, display, data) of each alert, optionally of some types only."""
    out: dict[int, list[dict]] = {i: [] for i in alert_ids}
    type_filter, type_args = "", []
    if types is not None:
        type_filter = f" AND e.type IN ({','.join('?' * len(types))})"
        type_args = list(types)
    for chunk, marks in _chunks(alert_ids):
        for alert_id, type_, key, display, data in conn.execute(
            # CROSS JOIN keeps the alert-first plan: with a type filter SQLite would otherwise
            # walk every entity of that type and probe each against the id list.
            "SELECT ae.alert_id, e.type, e.key, e.display, e.data FROM alert_entities ae"
            f" CROSS JOIN entities e ON e.id = ae.entity_id"
            f" WHERE ae.alert_id IN ({marks}){type_filter}"
            " ORDER BY ae.alert_id, e.id",
            [*chunk, *type_args],
        ):
            out[alert_id].append(
                {"type": type_, "key": key, "display": display, "data": orjson.loads(data)}
            )
    return out


def incident_row(conn: sqlite3.Connection, incident_id: int) -> dict[str, Any] | None:
    cursor = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,))
    rows = _dicts(cursor, _JSON_INCIDENT_COLUMNS)
    return rows[0] if rows else None


def incident_alert_ids(conn: sqlite3.Connection, incident_id: int, limit: int) -> list[int]:
    """The incident's alerts, oldest first, at most `limit`."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
            " WHERE ia.incident_id = ? ORDER BY a.start_time_utc, a.id LIMIT ?",
            (incident_id, limit),
        )
    ]


def incident_entities(conn: sqlite3.Connection, incident_id: int) -> list[dict[str, str]]:
    """Distinct entities of all the incident's alerts: type, key, display."""
    return [
        {"type": t, "key": k, "display": d}
        for t, k, d in conn.execute(
            "SELECT DISTINCT e.type, e.key, e.display FROM incident_alerts ia"
            " JOIN alert_entities ae ON ae.alert_id = ia.alert_id"
            " JOIN entities e ON e.id = ae.entity_id WHERE ia.incident_id = ?"
            " ORDER BY e.type, e.key",
            (incident_id,),
        )
    ]
