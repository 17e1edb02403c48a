"""SIGKILL at a random moment: an import (with the engines after it) and an analyst's triage.

Whatever the moment, the database passes its integrity check, what was committed is whole
(import batches, audit rows for every version change), and running the same thing again
completes: the import ends with every alert stored and correlated, the analyst works on.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.conftest import MORE_ALERTS
from tests.faults.support import Demo, assert_intact, cli, count
from tests.soak import ledger
from tests.soak.analyst import hot_targets
from tui.store import Store
from tui.store.correlation_data import uncorrelated_ids

SEEDS = (1, 2)


def _kill_after(command: list[str], seconds: float) -> bool:
    """Run `command`, SIGKILL it after `seconds`; True if it was still running then."""
    return _kill_when(command, lambda: True, seconds)


def _kill_when(command: list[str], ready: Callable[[], bool], delay: float) -> bool:
    """Run `command`; once `ready()` holds, SIGKILL it after `delay` more seconds. True if it
    was still running then."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for(child, ready)
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode in (0, -signal.SIGKILL), child.stderr.read()
    return child.returncode == -signal.SIGKILL


def _wait_for(child: subprocess.Popen, ready: Callable[[], bool]) -> float:
    """Poll until `ready()` holds or the child has exited; return the time then."""
    while child.poll() is None and not ready():
        time.sleep(0.01)
    return time.monotonic()


def _import_row(db: Path, *, finished: bool) -> Callable[[], bool]:
    """Whether the second import has started (or finished storing its batches)."""

    def ready() -> bool:
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            row = conn.execute(
                "SELECT finished_at FROM imports WHERE id > 1 ORDER BY id DESC LIMIT 1"
            ).fetchone()
            conn.close()
        except sqlite3.OperationalError:  # the child holds a schema change: not yet
            return False
        return row is not None and (row[0] is not None or not finished)

    return ready


# Kill points: while the batches are parsed and stored (the import's row exists), or after
# they are (its row is finished; suppression, correlation and automation run); the seed picks
# the moment within the phase, as long as it lasted in an uninterrupted run.
PHASES = {"storing": False, "engines": True}


@dataclass(frozen=True)
class Reference:
    incidents: int  # what an uninterrupted import leaves
    seconds: dict[str, float]  # how long each phase took


@pytest.fixture(scope="module")
def reference(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    db = tmp_path_factory.mktemp("reference") / "t.db"
    shutil.copy(demo.db, db)
    child = subprocess.Popen(_import(db, demo), stdout=subprocess.DEVNULL)
    started = _wait_for(child, _import_row(db, finished=False))
    stored = _wait_for(child, _import_row(db, finished=True))
    assert child.wait() == 0
    phases = {"storing": stored - started, "engines": time.monotonic() - stored}
    return Reference(count(db, "incidents"), phases)


def _import(db: Path, demo: Demo) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "--db", str(db), "import", str(demo.more)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("phase", PHASES)
def test_killed_import_then_rerun(
    demo: Demo, db: Path, reference: Reference, phase: str, seed: int
) -> None:
    before = count(db, "alerts")
    moment = random.Random(seed).uniform(0, 0.8) * reference.seconds[phase]
    ready = _import_row(db, finished=PHASES[phase])
    while not _kill_when(_import(db, demo), ready, moment):  # faster than the reference run
        assert moment > 0.01, "the import always finished before the kill"
        moment /= 2
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(demo.db, db)
    assert_intact(db)
    assert count(db, "alerts") in (before, before + MORE_ALERTS)  # the one batch, or nothing

    rerun = cli(db, "import", str(demo.more), check=True)
    assert "rejected 0" in rerun.stdout
    assert_intact(db)
    assert count(db, "alerts") == before + MORE_ALERTS
    store = Store(db)
    assert len(uncorrelated_ids(store.conn)) == 0, "alerts left out of correlation"
    store.close()
    assert count(db, "incidents") == reference.incidents


def _analyst(db: Path, hot: Path, log: Path, seconds: float, seed: int) -> list[str]:
    return [
        sys.executable, "-m", "tests.soak.analyst", "--db", str(db), "--hot", str(hot),
        "--log", str(log), "--role", "triage", "--seconds", str(seconds), "--seed", str(seed),
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_triage_leaves_no_half_change(db: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(db)
    hot = tmp_path / "hot.json"
    hot.write_text(json.dumps(hot_targets(store, rng, alerts=10, incidents=3)))
    store.close()
    log = tmp_path / "analyst.jsonl"
    killed = _kill_after(_analyst(db, hot, log, 30, seed), rng.uniform(1.0, 3.0))
    assert killed

    assert_intact(db)
    entries = ledger.read_logs([log])
    store = Store(db)
    assert not ledger.version_gaps(store.conn)  # every version change has its audit row
    missing, phantom = ledger.triage_audit_mismatch(store.conn, entries)
    assert not missing
    assert sum(phantom.values()) <= 1  # committed, then killed before it was logged
    store.close()

    assert _kill_after(_analyst(db, hot, log, 1, seed + 100), 60) is False
    entries = ledger.read_logs([log])
    assert not [e for e in entries if e["outcome"] == "error"]
    store = Store(db)
    assert not ledger.version_gaps(store.conn)
    store.close()
    assert_intact(db)
