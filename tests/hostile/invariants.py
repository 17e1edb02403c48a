"""Database invariants that must hold after any import, however hostile the input."""

from __future__ import annotations

import sqlite3


def assert_consistent(conn: sqlite3.Connection) -> None:
    """Integrity check ok, no dangling links, one search row per alert, every import finished."""
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    missing_fts = conn.execute(
        "SELECT count(*) FROM alerts WHERE id NOT IN (SELECT rowid FROM alerts_fts)"
    ).fetchone()[0]
    orphan_fts = conn.execute(
        "SELECT count(*) FROM alerts_fts WHERE rowid NOT IN (SELECT id FROM alerts)"
    ).fetchone()[0]
    assert (missing_fts, orphan_fts) == (0, 0)
    orphan_links = conn.execute(
        "SELECT count(*) FROM alert_entities ae"
        " WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = ae.entity_id)"
        " OR NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = ae.alert_id)"
    ).fetchone()[0]
    assert orphan_links == 0
    unfinished = conn.execute("SELECT count(*) FROM imports WHERE finished_at IS NULL")
    assert unfinished.fetchone()[0] == 0
