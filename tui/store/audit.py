"""Append-only, hash-chained audit log: who did what, when, before and after."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from tui.model.clock import utcnow

GENESIS = "0" * 64


def _digest(
    prev_hash: str, at: str, actor: str, action: str, target: str, before: str, after: str
) -> str:
    payload = "\x1f".join((prev_hash, at, actor, action, target, before, after))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def record(
    conn: sqlite3.Connection,
    actor: str,
    action: str,
    target_type: str,
    target_id: object,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row. Call inside the write transaction that made the change."""
    if not conn.in_transaction:
        raise RuntimeError("audit.record must run inside the change's transaction")
    row = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS
    at = utcnow()
    before_json = json.dumps(before, sort_keys=True, default=str)
    after_json = json.dumps(after, sort_keys=True, default=str)
    target = f"{target_type}:{target_id}"
    digest = _digest(prev_hash, at, actor, action, target, before_json, after_json)
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, target_type, target_id, before, after,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            actor,
            action,
            target_type,
            str(target_id),
            before_json,
            after_json,
            prev_hash,
            digest,
        ),
    )


def verify_chain(conn: sqlite3.Connection) -> int | None:
    """Return the id of the first audit row whose hash does not match, or None if intact."""
    prev = GENESIS
    for row in conn.execute(
        "SELECT id, at, actor, action, target_type, target_id, before, after, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    ):
        rid, at, actor, action, ttype, tid, before, after, prev_hash, digest = row
        expected = _digest(prev, at, actor, action, f"{ttype}:{tid}", before, after)
        if prev_hash != prev or digest != expected:
            return rid
        prev = digest
    return None


def history(conn: sqlite3.Connection, target_type: str, target_id: object) -> list[dict]:
    rows = conn.execute(
        "SELECT at, actor, action, before, after FROM audit_log"
        " WHERE target_type = ? AND target_id = ? ORDER BY id",
        (target_type, str(target_id)),
    ).fetchall()
    return [
        {
            "at": at,
            "actor": actor,
            "action": action,
            "before": json.loads(b),
            "after": json.loads(a),
        }
        for at, actor, action, b, a in rows
    ]
