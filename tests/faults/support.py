"""Running the real command in a child process, and what must hold after any fault."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tui.store import Store
from tui.store.audit import verify_chain


@dataclass(frozen=True)
class Demo:
    db: Path  # demo alerts imported and correlated
    base: Path  # the file imported into it
    more: Path  # another demo file, none of it imported yet


def cli(db: Path, *args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """`threatdesk --db DB ARGS...` in a child process; output captured as text."""
    command = [sys.executable, "-m", "tui.cli", "--db", str(db), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def limited_cli(db: Path, limits: list[str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    """The same, with an SQLite limit lowered (see tests/faults/limited_cli.py)."""
    command = [sys.executable, "-m", "tests.faults.limited_cli", *limits, "--", "--db", str(db)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300, **kwargs)


def assert_clean_error(result: subprocess.CompletedProcess, *phrases: str) -> None:
    """Exit status 2 and one `threatdesk: ...` line saying what happened; no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("threatdesk: "), result.stderr
    for phrase in phrases:
        assert phrase in last, (phrase, last)


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def assert_intact(db: Path) -> None:
    """SQLite's own check, the audit hash chain, and whole import batches only."""
    store = Store(db)
    conn = store.conn
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert verify_chain(conn) is None
        alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
        assert alerts == conn.execute("SELECT coalesce(sum(new), 0) FROM imports").fetchone()[0]
        assert alerts == conn.execute("SELECT count(*) FROM alerts_fts").fetchone()[0]
    finally:
        store.close()
