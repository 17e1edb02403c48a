"""Checks of the analysts' logs against the store after a soak: no lost and no phantom update."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TRIAGE_ACTIONS = ("status", "assign", "comment")
# Audit actions that add one to an alert's or incident's version.
BUMPS = ("status", "status (cascade)", "assign")


def read_logs(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for path in paths for line in path.read_text().splitlines()]


def _key(actor: str, action: str, target: list | tuple, after: Any) -> tuple:
    return (actor, action, target[0], int(target[1]), json.dumps(after, sort_keys=True))


def triage_audit_mismatch(conn: sqlite3.Connection, entries: list[dict]) -> tuple[Counter, Counter]:
    """(accepted changes without their audit row, audit rows without an accepted change), for
    the soak analysts' own status/assign/comment actions."""
    actors = {e["actor"] for e in entries}
    logged = Counter(
        _key(e["actor"], e["action"], e["target"], e["changes"])
        for e in entries
        if e["outcome"] == "accepted" and e["action"] in TRIAGE_ACTIONS
    )
    audited = Counter(
        _key(actor, action, (ttype, tid), json.loads(after))
        for actor, action, ttype, tid, after in conn.execute(
            "SELECT actor, action, target_type, target_id, after FROM audit_log"
            " WHERE action IN ('status', 'assign', 'comment')"
        )
        if actor in actors
    )
    return logged - audited, audited - logged


def duplicate_versions(entries: list[dict]) -> list[tuple]:
    """(target, version) pairs two accepted edits both claim: one of them was lost."""
    seen = Counter(
        (e["target"][0], e["target"][1], e["version"])
        for e in entries
        if e["outcome"] == "accepted" and "version" in e
    )
    return [key for key, n in seen.items() if n > 1]


def version_gaps(conn: sqlite3.Connection) -> list[tuple]:
    """Alerts and incidents whose version is not 1 + the audited changes that bump it: a write
    that skipped the audit, or an audit row for a write that did not happen."""
    bumps: Counter = Counter()
    for action, ttype, tid, after in conn.execute(
        "SELECT action, target_type, target_id, after FROM audit_log"
        " WHERE action IN ('status', 'status (cascade)', 'assign',"
        " 'suppression.dismiss', 'suppression.reactivate')"
    ):
        if action in BUMPS:
            bumps[(ttype, int(tid))] += 1
        else:  # one row per rule application, naming every alert it changed
            bumps.update(("alert", a) for a in json.loads(after)["alert_ids"])
    gaps = []
    for kind, table in (("alert", "alerts"), ("incident", "incidents")):
        for row_id, version in conn.execute(f"SELECT id, version FROM {table} WHERE version > 1"):
            if version - 1 != bumps.pop((kind, row_id), 0):
                gaps.append((kind, row_id, version, bumps.get((kind, row_id), 0)))
    gaps.extend((kind, i, 1, n) for (kind, i), n in bumps.items())
    return gaps


def final_state_mismatch(conn: sqlite3.Connection, entries: list[dict]) -> list[str]:
    """Targets whose current version was made by a logged edit but whose fields differ from it."""
    by_version = {
        (e["target"][0], e["target"][1], e["version"]): e
        for e in entries
        if e["outcome"] == "accepted" and "version" in e
    }
    wrong = []
    for kind, table in (("alert", "alerts"), ("incident", "incidents")):
        fields = "id, version, status, owner, classification, classification_comment"
        for row in conn.execute(f"SELECT {fields} FROM {table} WHERE version > 1"):
            row_id, version, *values = row
            entry = by_version.get((kind, row_id, version))
            if entry is None:
                continue
            current = dict(
                zip(
                    ("status", "owner", "classification", "classification_comment"),
                    values,
                    strict=True,
                )
            )
            if any(current[k] != v for k, v in entry["changes"].items()):
                wrong.append(f"{kind} {row_id} v{version}: {current} != {entry['changes']}")
    return wrong


def outcomes(entries: list[dict]) -> dict[str, Counter]:
    """Outcome counts per role, for the failure messages and the report."""
    table: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        table[e["role"]][e["outcome"]] += 1
    return dict(table)
