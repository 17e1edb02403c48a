import sqlite3

import pytest

from tui.store import SchemaTooNewError, Store, StoreError, connect, transaction
from tui.store.audit import record, verify_chain
from tui.store.db import schema_version


def test_new_database_is_wal_with_foreign_keys(tmp_path) -> None:
    conn = connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()


def test_newer_database_is_refused(tmp_path) -> None:
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {schema_version() + 1}")
    raw.close()
    with pytest.raises(SchemaTooNewError, match="upgrade threatdesk"):
        connect(path)


def test_older_database_is_migrated(tmp_path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE unrelated (x)")
    raw.close()  # version 0: every migration applies
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_corrupt_file_gets_a_clear_error(tmp_path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable threatdesk database"):
        connect(path)


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), transaction(store.conn) as conn:
        conn.execute("INSERT INTO resources (id) VALUES ('r1')")
        raise RuntimeError("boom")
    assert store.conn.execute("SELECT count(*) FROM resources").fetchone()[0] == 0


def test_audit_log_is_append_only_and_chained(store: Store) -> None:
    with transaction(store.conn) as conn:
        record(conn, "alice", "status", "alert", 1, {"status": "Active"}, {"status": "Resolved"})
        record(conn, "bob", "assign", "alert", 1, {"owner": ""}, {"owner": "bob"})
    assert verify_chain(store.conn) is None
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM audit_log")
    # Tampering that bypasses the triggers is detected by the hash chain.
    store.conn.execute("DROP TRIGGER audit_log_no_update")
    store.conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    assert verify_chain(store.conn) == 1


def test_two_processes_creating_one_database_at_once(tmp_path) -> None:
    import multiprocessing

    path = tmp_path / "race.db"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=connect, args=(path,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert connect(path).execute("PRAGMA user_version").fetchone()[0] == schema_version()
