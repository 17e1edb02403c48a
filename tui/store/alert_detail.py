"""Read queries behind the alert details screen: one alert with everything around it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson

from tui.store import incidents
from tui.store.triage import comments


@dataclass(frozen=True)
class EntityView:
    type: str
    display: str
    data: dict[str, Any]


@dataclass(frozen=True)
class RelatedAlert:
    id: int
    title: str
    severity: str
    time: str
    status: str
    shared: str  # the entity both alerts carry, e.g. "host vm-web-01"


@dataclass
class AlertDetail:
    fields: dict[str, Any]  # the alerts row, JSON columns decoded
    entities: list[EntityView] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)
    resource: dict[str, Any] | None = None  # the inventory row of the affected resource
    incident: dict[str, Any] | None = None
    related: list[RelatedAlert] = field(default_factory=list)
    comments: list[dict[str, str]] = field(default_factory=list)


_JSON_COLUMNS = (
    "remediation_steps",
    "extended_properties",
    "extended_links",
    "supporting_evidence",
    "resource_identifiers",
)


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def alert_detail(conn: sqlite3.Connection, alert_id: int, related_limit: int = 20) -> AlertDetail:
    """Everything the details screen shows; KeyError if the alert does not exist."""
    cur = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,))
    row = cur.fetchone()
    if row is None:
        raise KeyError(f"alert {alert_id} does not exist")
    fields = dict(zip([c[0] for c in cur.description], row, strict=True))
    for column in _JSON_COLUMNS:
        fields[column] = _loads(fields[column])
    return AlertDetail(
        fields=fields,
        entities=_entities(conn, alert_id),
        techniques=[
            t
            for (t,) in conn.execute(
                "SELECT technique_id FROM alert_techniques WHERE alert_id = ? ORDER BY 1",
                (alert_id,),
            )
        ],
        resource=_resource(conn, fields["resource_id"]),
        incident=_incident(conn, alert_id),
        related=related_alerts(conn, alert_id, related_limit),
        comments=comments(conn, "alert", alert_id),
    )


def _entities(conn: sqlite3.Connection, alert_id: int) -> list[EntityView]:
    return [
        EntityView(t, d, _loads(data) if data else {})
        for t, d, data in conn.execute(
            "SELECT e.type, e.display, e.data FROM alert_entities ae"
            " JOIN entities e ON e.id = ae.entity_id WHERE ae.alert_id = ? ORDER BY e.type, e.key",
            (alert_id,),
        )
    ]


def _resource(conn: sqlite3.Connection, resource_id: str) -> dict[str, Any] | None:
    if not resource_id:
        return None
    cur = conn.execute("SELECT * FROM resources WHERE id = ?", (resource_id,))
    row = cur.fetchone()
    if row is None:
        return None
    found = dict(zip([c[0] for c in cur.description], row, strict=True))
    found["tags"] = _loads(found["tags"])
    return found


def _incident(conn: sqlite3.Connection, alert_id: int) -> dict[str, Any] | None:
    cur = conn.execute(
        "SELECT i.id, i.title, i.severity, i.status, i.alert_count, ia.reason"
        " FROM incident_alerts ia JOIN incidents i ON i.id = ia.incident_id WHERE ia.alert_id = ?",
        (alert_id,),
    )
    row = cur.fetchone()
    return None if row is None else dict(zip([c[0] for c in cur.description], row, strict=True))


def related_alerts(conn: sqlite3.Connection, alert_id: int, limit: int = 20) -> list[RelatedAlert]:
    """The newest other alerts sharing a strong entity with this one, each once."""
    found: dict[int, RelatedAlert] = {}
    for row in incidents.related_alerts(conn, alert_id, limit * 4):
        if row["id"] not in found and len(found) < limit:
            found[row["id"]] = RelatedAlert(
                row["id"],
                row["alert_display_name"],
                row["severity"],
                row["start_time_utc"],
                row["status"],
                f"{row['entity_type']} {row['entity']}",
            )
    return list(found.values())
