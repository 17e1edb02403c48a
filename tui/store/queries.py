"""Read queries shared by the CLI and the engines."""

from __future__ import annotations

import sqlite3


def stats(conn: sqlite3.Connection) -> dict[str, list[tuple[str, int]]]:
    """Alert counts by severity, status and source format, plus incident and quarantine totals."""
    out = {
        "severity": conn.execute(
            "SELECT severity, count(*) FROM alerts GROUP BY severity_rank ORDER BY severity_rank"
            " DESC"
        ).fetchall(),
        "status": conn.execute(
            "SELECT status, count(*) FROM alerts GROUP BY status ORDER BY 2 DESC"
        ).fetchall(),
        "source format": conn.execute(
            "SELECT source_format, count(*) FROM alerts GROUP BY source_format ORDER BY 2 DESC"
        ).fetchall(),
    }
    out["totals"] = [
        ("alerts", conn.execute("SELECT count(*) FROM alerts").fetchone()[0]),
        ("incidents", conn.execute("SELECT count(*) FROM incidents").fetchone()[0]),
        ("entities", conn.execute("SELECT count(*) FROM entities").fetchone()[0]),
        ("quarantined", conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]),
    ]
    return out


def not_suppressed(conn: sqlite3.Connection, alert_ids: list[int]) -> list[int]:
    """The alerts of `alert_ids` that no suppression rule dismissed, in the given order."""
    dismissed: set[int] = set()
    for start in range(0, len(alert_ids), 900):
        chunk = alert_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        dismissed.update(
            i
            for (i,) in conn.execute(
                f"SELECT id FROM alerts WHERE id IN ({marks}) AND suppressed_by_rule IS NOT NULL",
                chunk,
            )
        )
    return [i for i in alert_ids if i not in dismissed]


def last_incident_id(conn: sqlite3.Connection) -> int:
    """Incident ids only grow: anything above this mark was created after it was taken."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]


def incidents_touched(
    conn: sqlite3.Connection, mark: int, since: str
) -> tuple[list[int], list[int]]:
    """(created, changed): incidents above `mark`, and older ones updated at or after `since`."""
    created = [i for (i,) in conn.execute("SELECT id FROM incidents WHERE id > ?", (mark,))]
    changed = [
        i
        for (i,) in conn.execute(
            "SELECT id FROM incidents WHERE id <= ? AND updated_at >= ?", (mark, since)
        )
    ]
    return created, changed
