"""Fixtures for the intel tests: a store with the knowledge base loaded once per session, and a
helper that files alerts as an incident (correlation is another part's job)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.intel import kb
from tui.model import Alert
from tui.model.clock import utcnow
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    store = Store(path)
    kb.update(store)
    store.close()
    return path


@pytest.fixture
def kb_store(loaded_db: Path, tmp_path: Path) -> Store:
    """A fresh copy of a database with the knowledge base loaded."""
    path = tmp_path / "intel.db"
    shutil.copy(loaded_db, path)
    store = Store(path)
    yield store
    store.close()


def file_incident(store: Store, alerts: list[Alert], title: str = "Test incident") -> int:
    """Store `alerts` and one incident holding them; return the incident id."""
    result = upsert_alerts(store.conn, alerts)
    now = utcnow()
    with transaction(store.conn) as conn:
        cur = conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, alert_count, created_at, updated_at)"
            " VALUES (?, 'High', 3, ?, ?, ?, ?, ?)",
            (title, alerts[0].start_time_utc, alerts[-1].start_time_utc, len(alerts), now, now),
        )
        incident_id = cur.lastrowid
        conn.executemany(
            "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, ?)",
            [(aid, incident_id, now) for aid in result.new_ids],
        )
    return incident_id
