"""Bulk loading: a large import into a small store drops the secondary indexes of the alert
tables and builds each one once, at the end.

An import adds keys to these indexes in the order of the file, not of the index (alert times,
resources and entity ids come in any order), so every write batch dirties a page of each index
per alert, and every commit writes those pages out again: at 250k alerts they took about 40%
of the writer's time. Building an index afterwards is one sort. Uniqueness (`source_id`, entity
keys) and full-text search stay live, so re-imports, duplicate checks and search stay right
meanwhile; queries that would use a dropped index still work, only slower (none names one with
INDEXED BY).

Each dropped index is recorded in `deferred_indexes` in the transaction that drops it, with
the importing process: if that process dies, the next writable open builds them. A migration
that changes one of these indexes must first build the deferred ones (`restore`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable

from tui.model.clock import utcnow
from tui.store.db import transaction

# Secondary indexes of the tables an import writes. alerts_severity_status stays: its keys
# (severity, status, new id) always land at the end of one of a dozen ranges, which costs little.
DEFERRABLE = (
    "alerts_time",
    "alerts_status_time",
    "alerts_severity_time",
    "alerts_resource",
    "alerts_correlation_key",
    "alerts_source_incident",
    "alerts_type_id_status",
    "alert_entities_entity",
    "alert_techniques_technique",
)
Built = Callable[[int, int], None]  # (indexes built, indexes to build)


def worthwhile(conn: sqlite3.Connection, incoming: int) -> bool:
    """Whether `incoming` alerts are at least as many as the store holds: then building the
    indexes again costs less than keeping them up to date row by row."""
    stored = conn.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]
    return incoming >= stored


def defer(conn: sqlite3.Connection) -> list[str]:
    """Drop the deferrable indexes that exist, recording them for `restore`; their names.
    Another bulk import may already have dropped them: then there is nothing to do."""
    marks = ",".join("?" * len(DEFERRABLE))
    with transaction(conn):
        found = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
            DEFERRABLE,
        ).fetchall()
        owner = (socket.gethostname(), os.getpid(), utcnow())
        conn.executemany(
            "INSERT INTO deferred_indexes (name, sql, owner_host, owner_pid, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(name, sql, *owner) for name, sql in found],
        )
        for name, _sql in found:
            conn.execute(f'DROP INDEX "{name}"')
    return [name for name, _sql in found]


def restore(conn: sqlite3.Connection, built: Built | None = None) -> int:
    """Build every deferred index, each in its own transaction (the write lock is held for one
    index at a time); return how many were deferred."""
    names = [name for (name,) in conn.execute("SELECT name FROM deferred_indexes ORDER BY name")]
    # CREATE INDEX sorts every key; past the page cache its sorter spills to temporary files,
    # which temp_store = MEMORY (db.py) would keep in RAM (alert_entities_entity at 1M alerts:
    # 279 instead of 145 MiB).
    conn.execute("PRAGMA temp_store = FILE")
    try:
        _build(conn, names, built)
    finally:
        conn.execute("PRAGMA temp_store = MEMORY")
    return len(names)


def _build(conn: sqlite3.Connection, names: list[str], built: Built | None) -> None:
    for done, name in enumerate(names):
        if built is not None:
            built(done, len(names))
        with transaction(conn):
            row = conn.execute(
                "SELECT sql FROM deferred_indexes WHERE name = ?", (name,)
            ).fetchone()
            if row is None:  # another process built it meanwhile
                continue
            conn.execute(row[0])
            conn.execute("DELETE FROM deferred_indexes WHERE name = ?", (name,))
    if built is not None and names:
        built(len(names), len(names))


def restore_orphaned(conn: sqlite3.Connection) -> int:
    """Build the deferred indexes when a bulk import on this host dropped them and did not live
    to build them (with any others: building one early is only slower for its import)."""
    owners = conn.execute("SELECT DISTINCT owner_host, owner_pid FROM deferred_indexes").fetchall()
    here = socket.gethostname()
    if not any(host == here and not _alive(pid) for host, pid in owners):
        return 0
    return restore(conn)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
