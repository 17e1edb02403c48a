"""SQL of suppression rules: the rules table, entity candidates, dismissal and reactivation.

Id lists travel as one JSON array bound to `json_each(?)`, so a 100k-id set is one statement
rather than 100k parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from tui.store.db import ConflictError, StoreError

OPEN_STATUSES = ("Active", "InProgress")
RULE_COLUMNS = (
    "id",
    "name",
    "alert_type",
    "reason",
    "comment",
    "state",
    "expiration_date_utc",
    "conditions",
    "extra",
    "arm_id",
    "last_modified_utc",
    "author",
    "modified_by",
    "created_at",
    "hits",
    "last_hit_utc",
    "deleted_at",
    "version",
)
_EDITABLE = (
    "name",
    "alert_type",
    "reason",
    "comment",
    "state",
    "expiration_date_utc",
    "conditions",
    "extra",
    "arm_id",
    "last_modified_utc",
    "modified_by",
)
_SELECT_RULES = f"SELECT {', '.join(RULE_COLUMNS)} FROM suppression_rules"
ALERT_SUMMARY_COLUMNS = (
    "id",
    "start_time_utc",
    "severity",
    "status",
    "alert_type",
    "alert_display_name",
    "compromised_entity",
)


def _ids_json(ids: Iterable[int]) -> str:
    return orjson.dumps(list(ids)).decode()


def _rules(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(zip(RULE_COLUMNS, row, strict=True)) for row in cursor]


# ---- rules ----------------------------------------------------------------------------------


def rule_rows(conn: sqlite3.Connection, *, include_deleted: bool = False) -> list[dict[str, Any]]:
    where = "" if include_deleted else " WHERE deleted_at IS NULL"
    return _rules(conn.execute(f"{_SELECT_RULES}{where} ORDER BY name COLLATE NOCASE"))


def rule_row(
    conn: sqlite3.Connection, *, rule_id: int | None = None, name: str | None = None
) -> dict[str, Any] | None:
    """A rule by id (deleted ones too) or by name (live ones only)."""
    if rule_id is not None:
        found = _rules(conn.execute(f"{_SELECT_RULES} WHERE id = ?", (rule_id,)))
    else:
        found = _rules(
            conn.execute(
                f"{_SELECT_RULES} WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL", (name,)
            )
        )
    return found[0] if found else None


def active_rule_rows(conn: sqlite3.Connection, now: str) -> list[dict[str, Any]]:
    """Enabled, undeleted rules whose expiration date has not passed."""
    return _rules(
        conn.execute(
            f"{_SELECT_RULES} WHERE state = 'Enabled' AND deleted_at IS NULL"
            " AND (expiration_date_utc = '' OR expiration_date_utc > ?) ORDER BY id",
            (now,),
        )
    )


def insert_rule(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    columns = [*_EDITABLE, "author", "created_at"]
    try:
        cur = conn.execute(
            f"INSERT INTO suppression_rules ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))})",
            [values[c] for c in columns],
        )
    except sqlite3.IntegrityError:
        raise StoreError(f"a rule named {values['name']!r} already exists") from None
    return int(cur.lastrowid)


def update_rule(
    conn: sqlite3.Connection, rule_id: int, values: dict[str, Any], expected_version: int
) -> int:
    """Write an edit made on `expected_version`; return the new version or raise ConflictError."""
    sets = ", ".join(f"{c} = ?" for c in _EDITABLE)
    try:
        cur = conn.execute(
            f"UPDATE suppression_rules SET {sets}, version = version + 1"
            " WHERE id = ? AND version = ? AND deleted_at IS NULL",
            [*(values[c] for c in _EDITABLE), rule_id, expected_version],
        )
    except sqlite3.IntegrityError:
        raise StoreError(f"a rule named {values['name']!r} already exists") from None
    if cur.rowcount != 1:
        raise _conflict(conn, rule_id, expected_version)
    return expected_version + 1


def mark_deleted(
    conn: sqlite3.Connection, rule_id: int, expected_version: int, actor: str, now: str
) -> None:
    cur = conn.execute(
        "UPDATE suppression_rules SET deleted_at = ?, state = 'Disabled', modified_by = ?,"
        " last_modified_utc = ?, version = version + 1"
        " WHERE id = ? AND version = ? AND deleted_at IS NULL",
        (now, actor, now, rule_id, expected_version),
    )
    if cur.rowcount != 1:
        raise _conflict(conn, rule_id, expected_version)


def _conflict(conn: sqlite3.Connection, rule_id: int, expected_version: int) -> StoreError:
    row = rule_row(conn, rule_id=rule_id)
    if row is None:
        return StoreError(f"suppression rule {rule_id} does not exist")
    if row["deleted_at"]:
        return ConflictError(
            f"rule {row['name']!r} was deleted by {row['modified_by']} at {row['deleted_at']}"
        )
    return ConflictError(
        f"rule {row['name']!r} was changed by {row['modified_by']} at "
        f"{row['last_modified_utc']} (version {row['version']}, you edited version "
        f"{expected_version}): reload it and edit again"
    )


def record_hits(conn: sqlite3.Connection, rule_id: int, count: int, now: str) -> None:
    conn.execute(
        "UPDATE suppression_rules SET hits = hits + ?, last_hit_utc = ? WHERE id = ?",
        (count, now, rule_id),
    )


# ---- matching -------------------------------------------------------------------------------


def entity_candidates(
    conn: sqlite3.Connection,
    entity_type: str,
    *,
    keys: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    needle: str = "",
    needle_column: str = "display",
    with_data: bool = False,
) -> list[tuple[int, str, str, str | None]]:
    """(id, key, display, data JSON or None) of entities of one type that may match.

    `keys`/`prefixes` narrow by strong key through the (type, key) index; `needle` keeps rows
    whose `needle_column`, lower-cased like `ascii_lower`, contains it.
    """
    data = "data" if with_data else "NULL"
    select = f"SELECT id, key, display, {data} FROM entities WHERE type = ?"
    if keys or prefixes:
        rows = conn.execute(
            f"{select} AND key IN (SELECT value FROM json_each(?))",
            (entity_type, orjson.dumps(list(keys)).decode()),
        ).fetchall()
        for prefix in prefixes:
            # A key range uses the index; '/' is the character after '.'.
            rows += conn.execute(
                f"{select} AND key > ? AND key < ?", (entity_type, prefix, prefix[:-1] + "/")
            ).fetchall()
        return rows
    # Without keys every entity of the type is read: one sequential pass over the table is
    # several times faster than visiting the rows in (type, key) index order.
    scan = select.replace("FROM entities", "FROM entities NOT INDEXED")
    if needle:
        column = "key" if needle_column == "key" else "display"
        return conn.execute(
            f"{scan} AND {_contains(column)}", (entity_type, like_pattern(needle))
        ).fetchall()
    return conn.execute(scan, (entity_type,)).fetchall()


def _contains(column: str) -> str:
    """SQL test for "column holds the needle, ignoring ASCII case". LIKE stops at a NUL, so
    values holding one are passed on for Python to decide."""
    return f"({column} LIKE ? ESCAPE '\\' OR instr({column}, char(0)) > 0)"


def like_pattern(needle: str) -> str:
    """`%needle%` for LIKE, which ignores ASCII case exactly as `ascii_lower` does (and is
    twice as fast as instr(lower(...)))."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def candidate_alerts(
    conn: sqlite3.Connection, alert_type: str | None, entity_sets: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """(id, severity rank), ascending ids, of open alerts of `alert_type` (None = any),
    linked to at least one entity of every set in `entity_sets`.

    With an alert type the covering index alerts_type_id_status answers without reading alert
    rows; without one, the matching entities drive the query, and a unary + keeps the planner
    from scanning every open alert through the status index instead.
    """
    clauses, params = [], []
    if alert_type is not None:
        clauses.append("alert_type = ?")
        params.append(alert_type)
    plus = "+" if alert_type is None and entity_sets else ""
    clauses.append(f"{plus}status IN {OPEN_STATUSES!r}")
    linked = (
        "SELECT alert_id FROM alert_entities WHERE entity_id IN (SELECT value FROM json_each(?))"
    )
    for entity_ids in entity_sets:
        clauses.append(f"id IN ({linked})")
        params.append(_ids_json(entity_ids))
    where = f" WHERE {' AND '.join(clauses)}"
    sql = f"SELECT id, severity_rank FROM alerts{where} ORDER BY id"
    return conn.execute(sql, params).fetchall()


def linked_entities(
    conn: sqlite3.Connection,
    alert_ids: Sequence[int],
    entity_type: str,
    *,
    needle: str = "",
    needle_column: str = "display",
    with_data: bool = False,
) -> list[tuple[int, int, str, str, str | None]]:
    """(alert id, entity id, key, display, data JSON or None) of the entities of one type linked
    to `alert_ids`, narrowed by `needle` like `entity_candidates`."""
    data = "e.data" if with_data else "NULL"
    column = "e.key" if needle_column == "key" else "e.display"
    # CROSS JOIN fixes the order: from the given alerts to their entities, never the reverse
    # (a scan of every entity of the type).
    sql = (
        f"SELECT ae.alert_id, e.id, e.key, e.display, {data} FROM json_each(?) j"
        " CROSS JOIN alert_entities ae ON ae.alert_id = j.value"
        " CROSS JOIN entities e ON e.id = ae.entity_id WHERE e.type = ?"
    )
    params: list[object] = [_ids_json(alert_ids), entity_type]
    if needle:
        sql += f" AND {_contains(column)}"
        params.append(like_pattern(needle))
    return conn.execute(sql, params).fetchall()


def alert_entity_rows(
    conn: sqlite3.Connection, alert_ids: Sequence[int]
) -> list[tuple[int, str, str, str | None, str | None, str | None, str | None]]:
    """(alert id, alert type, status, entity id, type, key, display, data) of each alert's
    entities; an alert without entities gives one row of NULL entity columns."""
    return conn.execute(
        "SELECT a.id, a.alert_type, a.status, e.id, e.type, e.key, e.display, e.data"
        " FROM alerts a LEFT JOIN alert_entities ae ON ae.alert_id = a.id"
        " LEFT JOIN entities e ON e.id = ae.entity_id"
        " WHERE a.id IN (SELECT value FROM json_each(?))",
        (_ids_json(alert_ids),),
    ).fetchall()


def incident_alert_ids(conn: sqlite3.Connection, incident_ids: Sequence[int]) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT alert_id FROM incident_alerts"
            " WHERE incident_id IN (SELECT value FROM json_each(?)) ORDER BY alert_id",
            (_ids_json(incident_ids),),
        )
    ]


def open_incident_alert_ids(conn: sqlite3.Connection) -> set[int]:
    """Alerts inside an Active or InProgress incident (few, next to the matches of a rule)."""
    return {
        row[0]
        for row in conn.execute(
            "SELECT ia.alert_id FROM incidents i JOIN incident_alerts ia ON ia.incident_id = i.id"
            f" WHERE i.status IN {OPEN_STATUSES!r}"
        )
    }


def alert_summaries(
    conn: sqlite3.Connection, alert_ids: Sequence[int], limit: int = 200
) -> list[dict[str, Any]]:
    """Newest first: the rows a preview or a rule's page lists."""
    rows = conn.execute(
        f"SELECT {', '.join(ALERT_SUMMARY_COLUMNS)} FROM alerts"
        " WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY start_time_utc DESC, id DESC LIMIT ?",
        (_ids_json(alert_ids), limit),
    )
    return [dict(zip(ALERT_SUMMARY_COLUMNS, row, strict=True)) for row in rows]


def dismissed_by(conn: sqlite3.Connection, rule_id: int) -> list[int]:
    """Every alert this rule dismissed that is still dismissed by it."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM alerts WHERE suppressed_by_rule = ? ORDER BY id", (rule_id,)
        )
    ]


# ---- effect ---------------------------------------------------------------------------------


def dismiss(
    conn: sqlite3.Connection,
    alert_ids: Sequence[int],
    rule_id: int,
    classification: str,
    comment: str,
    now: str,
) -> list[int]:
    """Dismiss the still-open alerts among `alert_ids`; return those changed. Closed alerts
    (an analyst's verdict) are left alone."""
    rows = conn.execute(
        "UPDATE alerts SET status = 'Dismissed', suppressed_by_rule = ?, classification = ?,"
        " classification_comment = ?, version = version + 1, updated_at = ?"
        f" WHERE id IN (SELECT value FROM json_each(?)) AND status IN {OPEN_STATUSES!r}"
        " RETURNING id",
        (rule_id, classification, comment, now, _ids_json(alert_ids)),
    ).fetchall()
    return sorted(row[0] for row in rows)


def reactivate(conn: sqlite3.Connection, rule_id: int, now: str) -> list[int]:
    """Reopen the alerts still dismissed by this rule; return them."""
    rows = conn.execute(
        "UPDATE alerts SET status = 'Active', suppressed_by_rule = NULL, classification = '',"
        " classification_comment = '', version = version + 1, updated_at = ?"
        " WHERE suppressed_by_rule = ? AND status = 'Dismissed' RETURNING id",
        (now, rule_id),
    ).fetchall()
    return sorted(row[0] for row in rows)
