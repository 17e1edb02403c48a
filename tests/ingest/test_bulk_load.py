"""A large import into a small store builds the secondary indexes once, at the end
(tui/store/bulk.py): the same rows as a live import, queries still right while the indexes are
away, and a bulk import that dies leaves them for the next open to build."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

import tui.ingest.pipeline as pipeline
from tests.ingest.test_bad_input import defender_record
from tui.engine.correlation import rebuild
from tui.ingest.demo import write_demo
from tui.model import Severity, Status
from tui.store import Store, bulk
from tui.store.alert_list import ListFilter, Sort, counts, ordered_keys, search_candidates

ALERTS = 300
HOSTS = ("web01", "db02", "dc01", "build7")


def _file(tmp_path: Path) -> Path:
    """Alerts whose times, hosts and types come in no index's order."""
    path = tmp_path / "alerts.jsonl"
    with path.open("w") as out:
        for n in range(ALERTS):
            host = HOSTS[n * 7 % len(HOSTS)]
            record = defender_record(
                n,
                alertType=f"VM_Type{n % 5}",
                startTimeUtc=f"2024-06-{1 + n * 13 % 28:02d}T08:{n % 60:02d}:00Z",
                endTimeUtc="2024-06-30T00:00:00Z",
                severity=("High", "Medium", "Low")[n % 3],
                entities=[
                    {"$id": "1", "hostName": host, "type": "host"},
                    {"$id": "2", "address": f"10.0.0.{n % 9}", "type": "ip"},
                ],
            )
            out.write(json.dumps(record) + "\n")
    return path


def _indexes(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
    finally:
        conn.close()


def _import(store: Store, path: Path) -> tuple[list[tuple[str, set[str]]], pipeline.ImportSummary]:
    """Import `path`; the indexes present at each progress report, by stage."""
    seen: list[tuple[str, set[str]]] = []
    summary = pipeline.import_paths(
        store, [path], progress=lambda stage, *_: seen.append((stage, _indexes(store.path)))
    )
    return seen, summary


def _content(conn: sqlite3.Connection) -> dict[str, list]:
    return {
        "alerts": conn.execute(
            "SELECT id, source_id, start_time_utc, severity, status, resource_id, raw FROM alerts"
            " ORDER BY id"
        ).fetchall(),
        "links": conn.execute(
            "SELECT alert_id, type, key FROM alert_entities JOIN entities ON id = entity_id"
            " ORDER BY 1, 2, 3"
        ).fetchall(),
        "techniques": conn.execute("SELECT * FROM alert_techniques ORDER BY 1, 2").fetchall(),
        "search": conn.execute(
            "SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH 'db02' ORDER BY rowid"
        ).fetchall(),
        "indexes": conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall(),
    }


def test_bulk_import_builds_indexes_at_the_end_and_stores_what_a_live_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _file(tmp_path)
    live = Store(tmp_path / "live.db")
    live_stages, _ = _import(live, source)
    assert {stage for stage, _ in live_stages} == {"importing"}
    assert all(set(bulk.DEFERRABLE) <= present for _, present in live_stages)

    monkeypatch.setattr(pipeline, "BULK_MIN_BYTES", 0)
    bulked = Store(tmp_path / "bulk.db")
    stages, summary = _import(bulked, source)

    assert summary.new == ALERTS
    importing = [present for stage, present in stages if stage == "importing"]
    assert importing and all(not set(bulk.DEFERRABLE) & present for present in importing)
    assert "alerts_severity_status" in importing[0]  # the cheap one stays
    assert [stage for stage, _ in stages].count("indexing") == len(bulk.DEFERRABLE) + 1
    assert _content(bulked.conn) == _content(live.conn)
    assert bulked.conn.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0] == 0
    assert bulked.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_import_smaller_than_the_store_keeps_its_indexes_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "t.db")
    pipeline.import_paths(store, [_file(tmp_path)])
    monkeypatch.setattr(pipeline, "BULK_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "BYTES_PER_ALERT", 10**9)  # the file looks like one alert
    extra = tmp_path / "one.jsonl"
    extra.write_text(json.dumps(defender_record(ALERTS + 1)) + "\n")
    stages, summary = _import(store, extra)
    assert summary.new == 1
    assert stages and all(stage == "importing" for stage, _ in stages)
    assert all(set(bulk.DEFERRABLE) <= present for _, present in stages)


def test_a_failed_bulk_import_still_builds_the_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "BULK_MIN_BYTES", 0)
    store = Store(tmp_path / "t.db")

    def interrupted(stage: str, done: int, total: int) -> None:
        if stage == "importing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pipeline.import_paths(store, [_file(tmp_path)], progress=interrupted)
    assert set(bulk.DEFERRABLE) <= _indexes(store.path)
    assert store.conn.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0] == 0


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_the_next_open_builds_what_a_dead_bulk_import_left(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store = Store(db)
    assert sorted(bulk.defer(store.conn)) == sorted(bulk.DEFERRABLE)
    assert not set(bulk.DEFERRABLE) & _indexes(db)
    store.close()

    again = Store(db)  # the importer (this process) is alive: its indexes are its to build
    assert not set(bulk.DEFERRABLE) & _indexes(db)
    again.conn.execute("UPDATE deferred_indexes SET owner_pid = ?", (_dead_pid(),))
    again.close()

    reopened = Store(db)
    assert set(bulk.DEFERRABLE) <= _indexes(db)
    assert reopened.conn.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0] == 0
    assert sorted(bulk.defer(reopened.conn)) == sorted(bulk.DEFERRABLE)  # and again


def test_a_second_bulk_import_defers_nothing_more(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    assert bulk.defer(store.conn)
    assert bulk.defer(store.conn) == []
    assert bulk.restore(store.conn) == len(bulk.DEFERRABLE)
    assert set(bulk.DEFERRABLE) <= _indexes(store.path)
    # The builds sorted through temporary files; the connection keeps its own setting after.
    assert store.conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY


def _answers(store: Store) -> dict[str, object]:
    """What correlation, the list, its counts and search give (none may need a dropped index)."""
    conn = store.conn
    result = rebuild(store)
    found: dict[str, object] = {
        "incidents": (result.created, result.alerts),
        "members": conn.execute(
            "SELECT group_concat(alert_id) FROM incident_alerts GROUP BY incident_id ORDER BY 1"
        ).fetchall(),
        "search": [c.id for c in search_candidates(conn, "credntial dumping", ListFilter())],
    }
    high_open = ListFilter(
        severities=frozenset({Severity.HIGH}), statuses=frozenset({Status.ACTIVE})
    )
    filters = {
        "all": ListFilter(),
        "high open": high_open,
        "by severity": ListFilter(sort=Sort.SEVERITY),
        "incidents": ListFilter(incidents_only=True),
    }
    for name, f in filters.items():
        found[f"keys {name}"] = list(ordered_keys(conn, f, limit=100))
        c = counts(conn, f)
        found[f"counts {name}"] = (c.total, sorted(c.severity.items()), sorted(c.status.items()))
    return found


def test_queries_answer_the_same_while_the_indexes_are_deferred(tmp_path: Path) -> None:
    files = write_demo(tmp_path / "demo", 600, seed=3)
    stores = [Store(tmp_path / name) for name in ("indexed.db", "deferred.db")]
    for store in stores:
        pipeline.import_paths(store, [files.alerts])
    assert bulk.defer(stores[1].conn)
    indexed, deferred = (_answers(store) for store in stores)
    assert deferred == indexed
    assert indexed["keys all"] and indexed["search"] and indexed["members"]
    assert indexed["keys incidents"] and indexed["counts high open"][0]


def test_dead_pid_is_really_dead() -> None:
    assert not bulk._alive(_dead_pid())
    assert bulk._alive(os.getpid())
