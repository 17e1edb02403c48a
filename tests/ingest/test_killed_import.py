"""SECURITY.md case 28: `kill -9` during an import leaves a consistent database; a re-run
completes it. A bulk import (tui/store/bulk.py) killed before it built its indexes leaves them to
the next open."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.ingest.test_bad_input import defender_record
from tui.ingest.pipeline import BATCH, BULK_MIN_BYTES
from tui.store import Store
from tui.store.bulk import DEFERRABLE

ALERTS = BATCH * 4


def _committed(db: Path) -> int:
    """Alerts committed so far, read without migrating (the child is creating the schema)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT coalesce(sum(new), 0) FROM imports").fetchone()[0]
    except sqlite3.OperationalError:  # no file or no table yet
        return 0
    finally:
        conn.close()


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


@pytest.mark.slow
@pytest.mark.parametrize("bulk", [False, True], ids=["live", "bulk"])
def test_killed_import_then_clean_rerun(tmp_path: Path, bulk: bool) -> None:
    source = tmp_path / "alerts.jsonl"
    # Long descriptions make the file big enough for a bulk import into the empty store.
    pad = "x" * (BULK_MIN_BYTES // ALERTS + 1) if bulk else ""
    with source.open("w") as out:
        for n in range(ALERTS):
            out.write(json.dumps(defender_record(n, description=pad)) + "\n")
    assert (source.stat().st_size >= BULK_MIN_BYTES) == bulk
    db = tmp_path / "t.db"
    command = [sys.executable, "-m", "tui.cli", "--db", str(db), "import", str(source)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _committed(db) == 0 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    helpers = psutil.Process(child.pid).children(recursive=True)  # fork server, parse workers
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, "parse workers outlived the killed import"

    raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert bool(set(DEFERRABLE) - _indexes(raw)) == bulk  # a bulk import died without them
    raw.close()
    store = Store(db)  # builds the indexes the dead bulk import dropped
    conn = store.conn
    assert set(DEFERRABLE) <= _indexes(conn)
    assert conn.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    assert 0 < stored < ALERTS and stored % BATCH == 0  # whole batches only
    assert stored == conn.execute("SELECT sum(new) FROM imports").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM alerts_fts").fetchone()[0] == stored
    store.close()

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"new {ALERTS - stored:,}  updated 0  unchanged {stored:,}" in rerun.stdout
    store = Store(db)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == ALERTS
    store.close()
