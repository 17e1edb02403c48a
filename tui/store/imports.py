"""The record of each import (table `imports`) and the ids one import has already seen."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable

from tui.model.clock import utcnow
from tui.store.db import transaction


def start(conn: sqlite3.Connection, file: str, fmt: str) -> int:
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO imports (file, format, started_at) VALUES (?, ?, ?)", (file, fmt, utcnow())
        )
    return cur.lastrowid


def add_counts(
    conn: sqlite3.Connection, import_id: int, new: int, updated: int, unchanged: int, rejected: int
) -> None:
    """Add one batch's counts (inside the batch's transaction, so they match what is stored)."""
    conn.execute(
        "UPDATE imports SET new = new + ?, updated = updated + ?, unchanged = unchanged + ?,"
        " rejected = rejected + ? WHERE id = ?",
        (new, updated, unchanged, rejected, import_id),
    )


def finish(conn: sqlite3.Connection, import_id: int) -> dict[str, int]:
    """Mark the import finished (inside the caller's transaction); return its counts."""
    conn.execute("UPDATE imports SET finished_at = ? WHERE id = ?", (utcnow(), import_id))
    row = conn.execute(
        "SELECT new, updated, unchanged, rejected FROM imports WHERE id = ?", (import_id,)
    ).fetchone()
    return dict(zip(("new", "updated", "unchanged", "rejected"), row, strict=True))


def id_hash(source_id: str) -> int:
    digest = hashlib.blake2b(source_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SeenIds:
    """Record number of the first occurrence of each source id in one file.

    Kept in a private temporary SQLite file, not in a dict, so an import's memory stays flat
    however many alerts the file holds.
    """

    def __init__(self) -> None:
        fd, self._path = tempfile.mkstemp(prefix="threatdesk-import-", suffix=".db")
        os.close(fd)
        self._conn = sqlite3.connect(self._path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = OFF")
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.execute("CREATE TABLE seen (hash INTEGER PRIMARY KEY, record_no INTEGER)")

    def first_numbers(self, batch: Iterable[tuple[int, int]]) -> dict[int, int]:
        """For (id hash, record number) pairs in file order: the record number of each hash's
        first occurrence in the file so far. Records the hashes not seen before."""
        first: dict[int, int] = {}
        for digest, record_no in batch:
            first.setdefault(digest, record_no)
        fresh = dict(first)
        keys = list(first)
        for start in range(0, len(keys), 30_000):
            chunk = keys[start : start + 30_000]
            marks = ",".join("?" * len(chunk))
            for digest, record_no in self._conn.execute(
                f"SELECT hash, record_no FROM seen WHERE hash IN ({marks})", chunk
            ):
                first[digest] = record_no
                del fresh[digest]
        self._conn.execute("BEGIN")
        self._conn.executemany("INSERT INTO seen VALUES (?, ?)", fresh.items())
        self._conn.execute("COMMIT")
        return first

    def close(self) -> None:
        self._conn.close()
        os.unlink(self._path)
