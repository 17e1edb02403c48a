"""Analyst triage writes on alerts and incidents: versioned, audited, never last-write-wins."""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.model.clock import utcnow
from tui.store import audit
from tui.store.db import ConflictError, StoreError

TABLES = {"alert": "alerts", "incident": "incidents"}
TRIAGE_FIELDS = ("status", "owner", "classification", "classification_comment")


def _table(target_type: str) -> str:
    try:
        return TABLES[target_type]
    except KeyError:
        raise StoreError(f"unknown target type {target_type!r}") from None


def get_triage(conn: sqlite3.Connection, target_type: str, target_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {', '.join(TRIAGE_FIELDS)}, version FROM {_table(target_type)} WHERE id = ?",
        (target_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"{target_type} {target_id} does not exist")
    return dict(zip((*TRIAGE_FIELDS, "version"), row, strict=True))


def update_triage(
    conn: sqlite3.Connection,
    target_type: str,
    target_id: int,
    expected_version: int,
    changes: dict[str, Any],
    actor: str,
    action: str,
) -> int:
    """Apply `changes` if the row is still at `expected_version`; return the new version.

    Call inside a transaction. A stale version raises ConflictError naming who changed what.
    """
    unknown = set(changes) - set(TRIAGE_FIELDS) - {"suppressed_by_rule"}
    if unknown:
        raise StoreError(f"not triage fields: {', '.join(sorted(unknown))}")
    current = get_triage(conn, target_type, target_id)
    if current["version"] != expected_version:
        raise ConflictError(_conflict_message(conn, target_type, target_id))
    before = {k: current[k] for k in changes if k in current}
    assignments = ", ".join(f"{k} = ?" for k in changes)
    conn.execute(
        f"UPDATE {_table(target_type)} SET {assignments}, version = version + 1,"
        " updated_at = ? WHERE id = ? AND version = ?",
        (*changes.values(), utcnow(), target_id, expected_version),
    )
    audit.record(conn, actor, action, target_type, target_id, before, changes)
    return expected_version + 1


def _conflict_message(conn: sqlite3.Connection, target_type: str, target_id: int) -> str:
    last = audit.history(conn, target_type, target_id)[-1:]
    if not last:
        return f"{target_type} {target_id} was changed by someone else; reload and retry"
    entry = last[0]
    change = ", ".join(
        f"{k} {entry['before'].get(k, '')!s} → {v!s}"
        for k, v in (entry["after"] or {}).items()
        if isinstance(entry["before"], dict)
    )
    return (
        f"{target_type} {target_id} was changed by {entry['actor']} at {entry['at'][:19]}Z"
        f" ({entry['action']}: {change or 'updated'}); your edit was not saved — reload and retry"
    )


def add_comment(
    conn: sqlite3.Connection, target_type: str, target_id: int, body: str, actor: str
) -> int:
    """Append a comment; comments are never edited, so they need no version check."""
    _table(target_type)
    at = utcnow()
    cursor = conn.execute(
        "INSERT INTO comments (target_type, target_id, author, at, body) VALUES (?, ?, ?, ?, ?)",
        (target_type, target_id, actor, at, body),
    )
    audit.record(conn, actor, "comment", target_type, target_id, None, {"comment": body})
    return int(cursor.lastrowid)


def comments(conn: sqlite3.Connection, target_type: str, target_id: int) -> list[dict[str, str]]:
    rows = conn.execute(
        "SELECT author, at, body FROM comments WHERE target_type = ? AND target_id = ? ORDER BY id",
        (target_type, target_id),
    ).fetchall()
    return [{"author": a, "at": at, "body": b} for a, at, b in rows]


def incident_alert_versions(conn: sqlite3.Connection, incident_id: int) -> list[tuple[int, int]]:
    """(alert id, version) of every alert in the incident, for a cascading status change."""
    return conn.execute(
        "SELECT a.id, a.version FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
        " WHERE ia.incident_id = ? ORDER BY a.id",
        (incident_id,),
    ).fetchall()
