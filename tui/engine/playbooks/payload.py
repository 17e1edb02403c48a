"""What a playbook receives: the alert in Defender for Cloud's alert schema, or an incident with its
alerts, rebuilt from the stored columns (triage status included) and entity rows.

The payload is data. It goes into a JSON body or onto a command's stdin, never into a command
word, a shell string, an environment variable or a header.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from tui.engine.playbooks.definitions import PlaybookError
from tui.model.text import display
from tui.store import playbooks as runs_store

TARGET_TYPES = ("alert", "incident")
MAX_INCIDENT_ALERTS = 1000
ALERT_RESOURCE_TYPE = "Microsoft.Security/Locations/alerts"


@dataclass(frozen=True, slots=True)
class Target:
    type: str
    id: int

    def __post_init__(self) -> None:
        if self.type not in TARGET_TYPES:
            raise ValueError(f"a playbook target is an alert or an incident, not {self.type!r}")

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class TargetNotFoundError(PlaybookError):
    pass


def build_payload(conn: sqlite3.Connection, target: Target) -> dict[str, Any]:
    if target.type == "alert":
        alerts = _alerts(conn, [target.id])
        if not alerts:
            raise TargetNotFoundError(f"alert {target.id} does not exist")
        return alerts[0]
    incident = runs_store.incident_row(conn, target.id)
    if incident is None:
        raise TargetNotFoundError(f"incident {target.id} does not exist")
    alert_ids = runs_store.incident_alert_ids(conn, target.id, MAX_INCIDENT_ALERTS + 1)
    return {
        "incident": _incident(incident, runs_store.incident_entities(conn, target.id)),
        "alerts": _alerts(conn, alert_ids[:MAX_INCIDENT_ALERTS]),
        "alertsTruncated": len(alert_ids) > MAX_INCIDENT_ALERTS,
    }


def encode(payload: dict[str, Any]) -> bytes:
    # The JSON columns were written by orjson, so whatever they hold it can write again.
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2)


def summary(payload: dict[str, Any]) -> list[str]:
    """A few displayable lines saying what the payload holds (for the confirmation)."""
    if "incident" in payload:
        incident = payload["incident"]
        lines = [
            f"incident {incident['threatdeskId']}: {display(incident['title'], 200)}",
            f"severity {incident['severity']}, status {incident['status']}, "
            f"{len(payload['alerts'])} alerts"
            + (" (first 1000 only)" if payload["alertsTruncated"] else ""),
            _entity_line(incident["entities"]),
        ]
    else:
        props = payload["properties"]
        lines = [
            f"alert {payload['threatdesk']['alertId']}: {display(props['alertDisplayName'], 200)}",
            f"severity {props['severity']}, status {props['status']}, type "
            f"{display(props['alertType'], 100)}",
            _entity_line(props["entities"]),
        ]
    return lines


def _entity_line(entities: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for e in entities:
        counts[str(e.get("type"))] = counts.get(str(e.get("type")), 0) + 1
    parts = ", ".join(f"{n} {display(t, 40)}" for t, n in sorted(counts.items()))
    return f"entities: {parts or 'none'}"


def _alerts(conn: sqlite3.Connection, alert_ids: list[int]) -> list[dict[str, Any]]:
    rows = runs_store.alert_rows(conn, alert_ids)
    entities = runs_store.alert_entities(conn, [r["id"] for r in rows])
    return [_alert(row, entities[row["id"]]) for row in rows]


def _alert(row: dict[str, Any], entities: list[dict[str, Any]]) -> dict[str, Any]:
    techniques = [t for t in row["techniques"].split(",") if t]
    return {
        "id": row["source_id"],
        "name": row["system_alert_id"] or row["source_id"],
        "type": ALERT_RESOURCE_TYPE,
        "properties": {
            "alertType": row["alert_type"],
            "systemAlertId": row["system_alert_id"],
            "alertDisplayName": row["alert_display_name"],
            "description": row["description"],
            "severity": row["severity"],
            "status": row["status"],
            "intent": row["intent"] or "Unknown",
            "startTimeUtc": row["start_time_utc"],
            "endTimeUtc": row["end_time_utc"],
            "timeGeneratedUtc": row["time_generated_utc"],
            "processingEndTimeUtc": row["processing_end_time_utc"],
            "compromisedEntity": row["compromised_entity"],
            "remediationSteps": row["remediation_steps"],
            "extendedProperties": row["extended_properties"],
            "extendedLinks": row["extended_links"],
            "supportingEvidence": row["supporting_evidence"],
            "resourceIdentifiers": row["resource_identifiers"],
            "entities": [_entity(n, e) for n, e in enumerate(entities, 1)],
            "correlationKey": row["correlation_key"],
            "isIncident": bool(row["is_incident"]),
            "productName": row["product_name"],
            "vendorName": row["vendor_name"],
            "productComponentName": row["product_component_name"],
            "alertUri": row["alert_uri"],
            "techniques": [t for t in techniques if "." not in t],
            "subTechniques": [t for t in techniques if "." in t],
        },
        "threatdesk": {
            "alertId": row["id"],
            "sourceFormat": row["source_format"],
            "owner": row["owner"],
            "classification": row["classification"],
            "classificationComment": row["classification_comment"],
        },
    }


def _entity(number: int, entity: dict[str, Any]) -> dict[str, Any]:
    data = entity["data"] if isinstance(entity["data"], dict) else {}
    return {**data, "$id": str(number), "type": entity["type"], "threatdeskKey": entity["key"]}


def _incident(row: dict[str, Any], entities: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "threatdeskId": row["id"],
        "title": row["title"],
        "description": row["description"],
        "severity": row["severity"],
        "status": row["status"],
        "owner": row["owner"],
        "classification": row["classification"],
        "classificationComment": row["classification_comment"],
        "firstActivityTimeUtc": row["first_activity_utc"],
        "lastActivityTimeUtc": row["last_activity_utc"],
        "alertCount": row["alert_count"],
        "tactics": row["stages"],
        "resources": row["resources"],
        "reasons": row["reasons"],
        "createdTimeUtc": row["created_at"],
        "lastModifiedTimeUtc": row["updated_at"],
        "entities": entities,
    }
