"""Read queries behind the incident screen: the incident with its resources, alerts, activity."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson

from tui.store import incidents
from tui.store.db import StoreError
from tui.store.triage import comments


@dataclass
class IncidentDetail:
    fields: dict[str, Any]  # the incidents row, JSON columns decoded
    alerts: list[dict[str, Any]] = field(default_factory=list)  # time order, with join reason
    resources: list[dict[str, Any]] = field(default_factory=list)  # inventory rows (or id only)
    techniques: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)  # for pivots, most shared first
    comments: list[dict[str, str]] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)  # audit rows, newest first


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def incident_detail(conn: sqlite3.Connection, incident_id: int) -> IncidentDetail:
    found = incidents.get_incident(conn, incident_id)
    if found is None:
        raise StoreError(f"incident {incident_id} does not exist (merged or dissolved?)")
    alerts = incidents.alerts_of_incident(conn, incident_id)
    ids = [a["id"] for a in alerts]
    return IncidentDetail(
        fields=found,
        alerts=alerts,
        resources=resources_with_tags(conn, found["resources"]),
        techniques=_techniques(conn, incident_id),
        entities=_entities(conn, incident_id),
        comments=comments(conn, "incident", incident_id),
        activity=_activity(conn, incident_id, ids),
    )


def resources_with_tags(conn: sqlite3.Connection, resource_ids: list[str]) -> list[dict]:
    """Inventory rows of the resources, in the given order; unknown ones keep just their id."""
    known = {}
    for rid in resource_ids:
        cur = conn.execute(
            "SELECT id, name, type, location, resource_group, subscription_id, tags"
            " FROM resources WHERE id = ?",
            (rid.lower(),),
        )
        for row in _rows(cur):
            row["tags"] = orjson.loads(row["tags"] or "{}")
            known[rid] = row
    return [
        known.get(rid) or {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": "", "tags": {}}
        for rid in resource_ids
    ]


def _techniques(conn: sqlite3.Connection, incident_id: int) -> list[str]:
    return [
        t
        for (t,) in conn.execute(
            "SELECT DISTINCT t.technique_id FROM incident_alerts ia"
            " JOIN alert_techniques t ON t.alert_id = ia.alert_id WHERE ia.incident_id = ?"
            " ORDER BY 1",
            (incident_id,),
        )
    ]


def _entities(conn: sqlite3.Connection, incident_id: int) -> list[dict[str, Any]]:
    cur = conn.execute(
        "SELECT e.id, e.type, e.display, count(*) AS alerts FROM incident_alerts ia"
        " JOIN alert_entities ae ON ae.alert_id = ia.alert_id"
        " JOIN entities e ON e.id = ae.entity_id WHERE ia.incident_id = ?"
        " GROUP BY e.id ORDER BY alerts DESC, e.type, e.display",
        (incident_id,),
    )
    return _rows(cur)


def _activity(conn: sqlite3.Connection, incident_id: int, alert_ids: list[int]) -> list[dict]:
    """Audit rows about the incident or any of its alerts, newest first."""
    targets = [("incident", str(incident_id))] + [("alert", str(a)) for a in alert_ids]
    found: list[dict[str, Any]] = []
    for start in range(0, len(targets), 400):
        chunk = targets[start : start + 400]
        where = " OR ".join("(target_type = ? AND target_id = ?)" for _ in chunk)
        cur = conn.execute(
            "SELECT id, at, actor, action, target_type, target_id, before, after"
            f" FROM audit_log WHERE {where}",
            [v for pair in chunk for v in pair],
        )
        found.extend(_rows(cur))
    for row in found:
        row["before"], row["after"] = orjson.loads(row["before"]), orjson.loads(row["after"])
    return sorted(found, key=lambda r: r["id"], reverse=True)


def remediation_inputs(conn: sqlite3.Connection, incident_id: int) -> list[dict[str, Any]]:
    """Per alert of the incident: remediation steps and what fills their placeholders."""
    cur = conn.execute(
        "SELECT a.id, a.alert_display_name AS title, a.resource_id, a.compromised_entity,"
        " a.remediation_steps, a.extended_properties FROM incident_alerts ia"
        " JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ?"
        " ORDER BY a.start_time_utc, a.id",
        (incident_id,),
    )
    rows = _rows(cur)
    for row in rows:
        row["remediation_steps"] = orjson.loads(row["remediation_steps"])
        row["extended_properties"] = orjson.loads(row["extended_properties"])
        row["entities"] = conn.execute(
            "SELECT e.type, e.display FROM alert_entities ae JOIN entities e"
            " ON e.id = ae.entity_id WHERE ae.alert_id = ? ORDER BY e.id",
            (row["id"],),
        ).fetchall()
    return rows


def entity_pivot(conn: sqlite3.Connection, entity_id: int, limit: int = 500) -> dict[str, Any]:
    """Every alert (newest first) and incident that carries the entity."""
    entity = conn.execute(
        "SELECT id, type, display FROM entities WHERE id = ?", (entity_id,)
    ).fetchone()
    if entity is None:
        raise StoreError(f"entity {entity_id} does not exist")
    alerts = _rows(
        conn.execute(
            "SELECT a.id, a.alert_display_name AS title, a.severity, a.start_time_utc, a.status,"
            " ia.incident_id FROM alert_entities ae JOIN alerts a ON a.id = ae.alert_id"
            " LEFT JOIN incident_alerts ia ON ia.alert_id = a.id WHERE ae.entity_id = ?"
            " ORDER BY a.start_time_utc DESC, a.id DESC LIMIT ?",
            (entity_id, limit),
        )
    )
    total = conn.execute(
        "SELECT count(*) FROM alert_entities WHERE entity_id = ?", (entity_id,)
    ).fetchone()[0]
    found_incidents = _rows(
        conn.execute(
            "SELECT i.id, i.title, i.severity, i.status, i.alert_count, i.last_activity_utc"
            " FROM incidents i WHERE i.id IN (SELECT ia.incident_id FROM alert_entities ae"
            " JOIN incident_alerts ia ON ia.alert_id = ae.alert_id WHERE ae.entity_id = ?)"
            " ORDER BY i.last_activity_utc DESC",
            (entity_id,),
        )
    )
    return {
        "entity": {"id": entity[0], "type": entity[1], "display": entity[2]},
        "alerts": alerts,
        "alert_total": total,
        "incidents": found_incidents,
    }


def techniques_by_alert(conn: sqlite3.Connection, incident_id: int) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for alert_id, technique in conn.execute(
        "SELECT t.alert_id, t.technique_id FROM incident_alerts ia"
        " JOIN alert_techniques t ON t.alert_id = ia.alert_id WHERE ia.incident_id = ?"
        " ORDER BY 1, 2",
        (incident_id,),
    ):
        found.setdefault(alert_id, []).append(technique)
    return found
