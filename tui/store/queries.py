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
