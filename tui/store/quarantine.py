"""Rejected import records: file, record number, byte offset, reason and the raw text."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from tui.model.clock import utcnow

MAX_RAW_CHARS = 65_536  # enough to see what was wrong; the file itself keeps the rest


@dataclass(slots=True)
class Rejected:
    file: str
    record_no: int
    byte_offset: int | None
    reason: str
    raw: str


def add(conn: sqlite3.Connection, rejected: Sequence[Rejected]) -> None:
    """Store rejected records (inside the caller's transaction); re-importing the same file
    does not repeat an entry that is already there."""
    at = utcnow()
    conn.executemany(
        "INSERT INTO quarantine (file, record_no, byte_offset, reason, raw, at)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM quarantine"
        " WHERE file = ? AND record_no = ? AND reason = ?)",
        [
            (r.file, r.record_no, r.byte_offset, r.reason, r.raw[:MAX_RAW_CHARS], at, *key)
            for r in rejected
            for key in [(r.file, r.record_no, r.reason)]
        ],
    )


def entries(
    conn: sqlite3.Connection, *, file: str | None = None, limit: int = 1000
) -> list[Rejected]:
    """The most recent rejected records, newest first, optionally of one file."""
    where, params = ("WHERE file = ?", [file]) if file else ("", [])
    rows = conn.execute(
        f"SELECT file, record_no, byte_offset, reason, raw FROM quarantine {where}"
        " ORDER BY id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [Rejected(*row) for row in rows]


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
