"""SQLite connection, pragmas, migrations and write transactions.

Several analysts share one database file: WAL, a busy timeout, foreign keys, one connection per
thread, and short write transactions that begin with BEGIN IMMEDIATE (a deferred transaction
that reads and then writes fails with "database is locked" in WAL whatever the timeout).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """A store problem the user can act on; the message says what and why."""


class SchemaTooNewError(StoreError):
    pass


class ConflictError(StoreError):
    """An optimistic-concurrency conflict: someone else changed the row first."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every bundled migration, in order."""
    found = []
    for entry in resources.files("tui.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version() -> int:
    return migrations()[-1][0]


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA temp_store = MEMORY")


def connect(
    path: str | Path, *, migrate: bool = True, readonly: bool = False
) -> sqlite3.Connection:
    """Open the database, create or migrate it, and refuse one written by a newer threatdesk."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _configure(conn)
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        if migrate:
            migrate_schema(conn, path)
            if not readonly:
                _finish_bulk_load(conn)
    except sqlite3.OperationalError as exc:  # read-only, busy, full: not the file's fault
        conn.close()
        raise StoreError(f"{path}: {_busy(exc)}") from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a usable threatdesk database ({exc})") from exc
    except StoreError:
        conn.close()
        raise
    return conn


def _finish_bulk_load(conn: sqlite3.Connection) -> None:
    from tui.store import bulk  # bulk writes through this module's transactions

    bulk.restore_orphaned(conn)


def migrate_schema(conn: sqlite3.Connection, path: Path | str = "database") -> int:
    """Apply pending migrations, each in its own transaction; return the resulting version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = schema_version()
    if current > latest:
        raise SchemaTooNewError(
            f"{path} has schema version {current}, but this threatdesk knows only up to "
            f"{latest}: upgrade threatdesk (pip install -U threatdesk) to open it"
        )
    for version, _name, sql in migrations():
        if version <= current:
            continue
        with transaction(conn):
            # Another process may have migrated while we waited for the write lock.
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if version <= current:
                continue
            # executescript would COMMIT our transaction; run statements one by one instead.
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        current = version
    return current


def _statements(sql: str) -> Iterator[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A short write transaction: BEGIN IMMEDIATE, COMMIT, or ROLLBACK on any error."""
    if conn.in_transaction:
        raise StoreError("nested write transaction")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _busy(exc) from exc
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise _busy(exc) from exc
    except BaseException:
        _rollback(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise _busy(exc) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite has already rolled back after some errors (disk full, I/O error): a second
    # ROLLBACK would fail and hide the real error.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _busy(exc: sqlite3.OperationalError) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            "the database is busy: another analyst or import has held the write lock for "
            f"{BUSY_TIMEOUT_MS // 1000} s; retry in a moment"
        )
    if "readonly" in text:
        return StoreError(
            "the database is read-only here: check the permissions of the file and its folder"
        )
    if "full" in text:
        return StoreError("the disk is full: nothing was written; free space and retry")
    return StoreError(f"database error: {text}")


def damaged(path: str | Path, exc: sqlite3.DatabaseError) -> StoreError:
    """The error for an SQLite failure found mid-command (a corrupt page is only noticed when
    it is read): it names the file and what to do."""
    if isinstance(exc, sqlite3.OperationalError):
        return StoreError(f"{path}: {_busy(exc)}")
    return StoreError(
        f"{path}: the database file is damaged ({exc}); restore it from a backup, or salvage"
        f" what is readable with: sqlite3 {path} .recover"
    )


class Store:
    """The database at `path`, with one connection per thread."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        _ = self.conn  # open (and migrate) now, so errors surface at start-up

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=self.readonly)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def data_version(self) -> int:
        """Changes when another connection commits (PRAGMA data_version)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
