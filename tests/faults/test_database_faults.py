"""The database file in trouble: disk full, read-only, corrupt, write-locked by someone else.

Each goes through the real `threatdesk` command in a child process, because what matters is
what the analyst sees: exit status 2 and one line that says what happened (no traceback), the
data committed before the fault intact, and the same command completing once the fault is gone.
"""

from __future__ import annotations

import ctypes
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.support import (
    Demo,
    assert_clean_error,
    assert_intact,
    cli,
    count,
    limited_cli,
)

PAGE_SIZE = 4096
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
LOCK_SECONDS = 7


def _pages(db: Path) -> int:
    return db.stat().st_size // PAGE_SIZE


def test_disk_full_import_is_refused_whole_and_a_rerun_completes(demo: Demo, db: Path) -> None:
    before = count(db, "alerts")
    full = limited_cli(db, ["--max-pages", str(_pages(db) + 50)], "import", str(demo.more))
    assert_clean_error(full, "disk is full", "nothing was written")
    assert count(db, "alerts") == before
    assert_intact(db)
    rerun = cli(db, "import", str(demo.more), check=True)
    assert "new 1,000  updated 0  unchanged 0" in rerun.stdout
    assert_intact(db)


# ---- read-only ------------------------------------------------------------------------------
# Tests run as root, and root writes to a mode-444 file regardless. The child drops
# CAP_DAC_OVERRIDE from its capability bounding set before exec, so the permissions apply to
# it as to any analyst: SQLite gets EACCES from open(2), exactly the path a read-only file takes.


def _without_dac_override() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_analyst(db: Path, *args: str) -> subprocess.CompletedProcess:
    return cli(db, *args, preexec_fn=_without_dac_override if os.geteuid() == 0 else None)


@pytest.fixture
def read_only(db: Path):
    db.chmod(0o444)
    yield db
    db.parent.chmod(0o755)
    db.chmod(0o644)


def test_read_only_file_reads_and_refuses_writes(demo: Demo, read_only: Path) -> None:
    db = read_only
    before = count(db, "alerts")
    stats = _as_analyst(db, "stats")
    assert stats.returncode == 0 and f"{'alerts':<16} {before:>10,}" in stats.stdout, stats.stderr
    refused = _as_analyst(db, "import", str(demo.more))
    assert_clean_error(refused, "read-only")
    assert count(db, "alerts") == before
    db.chmod(0o644)
    assert_intact(db)
    cli(db, "import", str(demo.more), check=True)


def test_read_only_folder_names_the_file(read_only: Path) -> None:
    read_only.parent.chmod(0o555)  # no -shm can be created: even reading needs a writer here
    result = _as_analyst(read_only, "stats")
    assert_clean_error(result, str(read_only), "read-only")


# ---- corrupt --------------------------------------------------------------------------------

COMMANDS = (("stats",), ("rules", "list"), ("correlate", "--rebuild"), ("import", "{more}"))


def _scribble(db: Path, seed: int, pages: int) -> None:
    """Random bytes over `pages` random pages (never page 1: the header is another test)."""
    rng = random.Random(seed)
    total = _pages(db)
    with db.open("r+b") as out:
        for page in rng.sample(range(1, total), pages):
            out.seek(page * PAGE_SIZE)
            out.write(rng.randbytes(PAGE_SIZE))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corrupt_pages_give_a_message_naming_the_file(demo: Demo, db: Path, seed: int) -> None:
    _scribble(db, seed, pages=_pages(db) // 10)
    damaged = 0
    for command in COMMANDS:
        args = [a.format(more=demo.more) for a in command]
        result = cli(db, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        if result.returncode:
            assert_clean_error(result, str(db))
            damaged += "damaged" in result.stderr or "not a usable" in result.stderr
    assert damaged, "the corruption went unnoticed by every command"


def test_corrupt_header_is_not_a_usable_database(db: Path) -> None:
    with db.open("r+b") as out:
        out.write(os.urandom(100))
    assert_clean_error(cli(db, "stats"), str(db), "not a usable threatdesk database")


# ---- another writer holds the lock (SECURITY.md case 30) ------------------------------------

HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_write_lock(db: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(LOCK_SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.slow
def test_a_write_waits_out_a_7_s_lock_and_succeeds(demo: Demo, db: Path) -> None:
    holder = _hold_write_lock(db)
    started = time.monotonic()
    cli(db, "stats", check=True)
    assert holder.poll() is None, "the read waited for the writer"  # WAL: readers never wait
    write = cli(db, "import", str(demo.more), check=True)
    waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited >= LOCK_SECONDS - 0.5, "the import did not wait for the lock"
    assert "new 1,000" in write.stdout and "locked" not in write.stderr
    assert_intact(db)


def test_a_lock_held_past_the_busy_timeout_says_busy_retry(demo: Demo, db: Path) -> None:
    holder = _hold_write_lock(db)
    before = count(db, "alerts")
    result = limited_cli(db, ["--busy-ms", "1000"], "import", str(demo.more))
    holder.kill()
    holder.wait()
    assert_clean_error(result, "busy", "retry")
    assert "database is locked" not in result.stderr
    assert count(db, "alerts") == before
    assert_intact(db)
