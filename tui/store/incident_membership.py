"""Which incident each alert belongs to, by source id: what correlation quality is scored on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator


def alert_incidents(conn: sqlite3.Connection) -> Iterator[tuple[str, int | None]]:
    """(source id, incident id or None) for every alert, streamed."""
    yield from conn.execute(
        "SELECT a.source_id, ia.incident_id FROM alerts a"
        " LEFT JOIN incident_alerts ia ON ia.alert_id = a.id"
    )
