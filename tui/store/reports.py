"""Threat-intelligence reports: the evidence a report reads and the log of reports made.

Reads return plain dicts of stored values (still untrusted text); the report builder makes them
displayable. Recording a report is an analyst action, so it writes an audit row in the same
transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.model.clock import utcnow
from tui.store import audit
from tui.store.db import StoreError, transaction

# Entity types that are indicators of compromise (EntityType values).
IOC_TYPES = ("ip", "dns", "url", "filehash")

_ALERT_COLUMNS = (
    "id",
    "alert_display_name",
    "alert_type",
    "description",
    "severity",
    "severity_rank",
    "intent",
    "status",
    "start_time_utc",
    "end_time_utc",
    "compromised_entity",
    "resource_id",
    "remediation_steps",
    "extended_properties",
    "product_name",
)
_INCIDENT_COLUMNS = (
    "id",
    "title",
    "description",
    "severity",
    "status",
    "first_activity_utc",
    "last_activity_utc",
    "alert_count",
    "stages",
    "resources",
)


@dataclass(frozen=True, slots=True)
class ReportRecord:
    id: int
    target_type: str
    target_id: int
    type: str
    tlp: str
    path: str
    sha256: str
    pages: int
    analyst: str
    created_at: str


def _chunks(ids: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _marks(chunk: Sequence[Any]) -> str:
    return ",".join("?" * len(chunk))


def incident(conn: sqlite3.Connection, incident_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {', '.join(_INCIDENT_COLUMNS)} FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    if row is None:
        raise StoreError(f"incident {incident_id} does not exist")
    found = dict(zip(_INCIDENT_COLUMNS, row, strict=True))
    for name in ("stages", "resources"):
        found[name] = _json_list(found[name])
    return found


def incident_alert_ids(conn: sqlite3.Connection, incident_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT ia.alert_id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
        " WHERE ia.incident_id = ? ORDER BY a.start_time_utc, a.id",
        (incident_id,),
    )
    return [r[0] for r in rows]


def alerts(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The alerts with these ids, oldest first; an unknown id is an error naming it."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(alert_ids)):
        for row in conn.execute(
            f"SELECT {', '.join(_ALERT_COLUMNS)} FROM alerts WHERE id IN ({_marks(chunk)})",
            chunk,
        ):
            alert = dict(zip(_ALERT_COLUMNS, row, strict=True))
            alert["remediation_steps"] = _json_list(alert["remediation_steps"])
            alert["extended_properties"] = _json_dict(alert["extended_properties"])
            found[alert["id"]] = alert
    missing = [i for i in alert_ids if i not in found]
    if missing:
        raise StoreError(f"alert {missing[0]} does not exist")
    return sorted(found.values(), key=lambda a: (a["start_time_utc"], a["id"]))


def alert_techniques(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> dict[str, list[int]]:
    """ATT&CK technique id -> ids of the alerts that showed it."""
    seen: dict[str, list[int]] = {}
    for chunk in _chunks(list(alert_ids)):
        for alert_id, technique in conn.execute(
            "SELECT alert_id, technique_id FROM alert_techniques"
            f" WHERE alert_id IN ({_marks(chunk)}) ORDER BY technique_id, alert_id",
            chunk,
        ):
            seen.setdefault(technique, []).append(alert_id)
    return dict(sorted(seen.items()))


def alert_entities(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> dict[int, list[tuple]]:
    """(type, display) of every entity of each alert: what fills remediation placeholders."""
    found: dict[int, list[tuple]] = {}
    for chunk in _chunks(list(alert_ids)):
        for alert_id, type_, display in conn.execute(
            "SELECT ae.alert_id, e.type, e.display FROM alert_entities ae"
            f" JOIN entities e ON e.id = ae.entity_id WHERE ae.alert_id IN ({_marks(chunk)})"
            " ORDER BY ae.alert_id, e.id",
            chunk,
        ):
            found.setdefault(alert_id, []).append((type_, display))
    return found


def alert_indicators(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> list[dict[str, Any]]:
    """IOC entities (IPs, domains, URLs, file hashes) of these alerts, and where each was seen."""
    found: dict[int, dict[str, Any]] = {}
    types = _marks(IOC_TYPES)
    for chunk in _chunks(list(alert_ids)):
        for entity_id, type_, key, display, data, alert_id in conn.execute(
            "SELECT e.id, e.type, e.key, e.display, e.data, ae.alert_id"
            " FROM alert_entities ae JOIN entities e ON e.id = ae.entity_id"
            f" WHERE ae.alert_id IN ({_marks(chunk)}) AND e.type IN ({types})",
            (*chunk, *IOC_TYPES),
        ):
            entry = found.setdefault(
                entity_id,
                {"type": type_, "key": key, "display": display, "data": _json_dict(data)},
            )
            entry.setdefault("alert_ids", []).append(alert_id)
    return sorted(found.values(), key=lambda e: (IOC_TYPES.index(e["type"]), e["key"]))


def indicators_of(
    conn: sqlite3.Connection, kind: str, object_id: str, limit: int = 200
) -> list[tuple[str, str, str]]:
    """(type, value, indicator name) of imported indicators that indicate a group or campaign."""
    return conn.execute(
        "SELECT v.type, v.value, i.name FROM intel_relations r"
        " JOIN intel_indicators i ON i.id = r.src_id"
        " JOIN intel_indicator_values v ON v.indicator_id = i.id"
        " WHERE r.src_kind = 'indicator' AND r.relation = 'indicates'"
        " AND r.dst_kind = ? AND r.dst_id = ? ORDER BY v.type, v.value LIMIT ?",
        (kind, object_id, limit),
    ).fetchall()


def record_report(
    conn: sqlite3.Connection,
    *,
    target_type: str,
    target_id: int,
    report_type: str,
    tlp: str,
    path: str,
    sha256: str,
    pages: int,
    analyst: str,
) -> int:
    """Log a report that was written, with its audit row; return the report's id."""
    at = utcnow()
    values = {
        "target_type": target_type,
        "target_id": target_id,
        "type": report_type,
        "tlp": tlp,
        "path": path,
        "sha256": sha256,
        "pages": pages,
        "analyst": analyst,
        "created_at": at,
    }
    with transaction(conn):
        try:
            cursor = conn.execute(
                f"INSERT INTO reports ({', '.join(values)}) VALUES ({_marks(list(values))})",
                tuple(values.values()),
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"report for {target_type} {target_id} not recorded: {exc}") from exc
        report_id = int(cursor.lastrowid or 0)
        audit.record(
            conn,
            analyst,
            "report.generate",
            target_type,
            target_id,
            None,
            {"report": report_id, "type": report_type, "tlp": tlp, "path": path, "sha256": sha256},
        )
    return report_id


def list_reports(
    conn: sqlite3.Connection, *, incident_id: int | None = None, alert_id: int | None = None
) -> list[ReportRecord]:
    """Reports made for an incident (including those made for one of its alerts) or an alert."""
    columns = ", ".join(ReportRecord.__slots__)
    if incident_id is not None:
        rows = conn.execute(
            f"SELECT {columns} FROM reports WHERE (target_type = 'incident' AND target_id = ?)"
            " OR (target_type = 'alert' AND target_id IN"
            " (SELECT alert_id FROM incident_alerts WHERE incident_id = ?))"
            " ORDER BY created_at DESC, id DESC",
            (incident_id, incident_id),
        )
    elif alert_id is not None:
        rows = conn.execute(
            f"SELECT {columns} FROM reports WHERE target_type = 'alert' AND target_id = ?"
            " ORDER BY created_at DESC, id DESC",
            (alert_id,),
        )
    else:
        raise StoreError("list reports of an incident or of an alert")
    return [ReportRecord(*row) for row in rows]


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _json_dict(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
