"""SECURITY.md case 28: `kill -9` during an import leaves a consistent database; a re-run
completes it."""

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
from tui.ingest.pipeline import BATCH
from tui.store import Store

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


@pytest.mark.slow
def test_killed_import_then_clean_rerun(tmp_path: Path) -> None:
    source = tmp_path / "alerts.jsonl"
    with source.open("w") as out:
        for n in range(ALERTS):
            out.write(json.dumps(defender_record(n)) + "\n")
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

    store = Store(db)
    conn = store.conn
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
