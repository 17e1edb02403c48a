"""What the incident (or the single alert) itself shows: the report's own evidence.

Values here are still untrusted text as stored; the builder makes them displayable.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from tui.model.text import display
from tui.report.model import Subject, Target
from tui.store import Store
from tui.store import reports as report_store
from tui.store.resources import Resource, get_resource


@dataclass(slots=True)
class AlertFacts:
    id: int
    title: str
    alert_type: str
    description: str
    severity: str
    status: str
    start: str
    intents: list[str]
    remediation: list[Any]  # as stored; normally strings
    resource_id: str
    compromised_entity: str
    product: str
    extended_properties: dict[str, Any]
    entities: list[tuple[str, str]]  # (type, display)


@dataclass(slots=True)
class Indicator:
    type: str  # ip | dns | url | filehash
    value: str
    key: str
    alert_ids: list[int]
    algorithm: str = ""


@dataclass(slots=True)
class Evidence:
    target: Target
    subject: Subject
    description: str
    alerts: list[AlertFacts]
    techniques: dict[str, list[int]]  # ATT&CK id -> alerts showing it
    indicators: list[Indicator]  # external indicators only
    internal_ips: list[str]  # private/link-local addresses: our assets, not attacker IOCs
    resources: list[Resource]

    @property
    def alert_ids(self) -> list[int]:
        return [a.id for a in self.alerts]

    def alert(self, alert_id: int) -> AlertFacts:
        return next(a for a in self.alerts if a.id == alert_id)


def gather(store: Store, target: Target) -> Evidence:
    """Read the target's alerts, techniques, indicators and touched resources from the store."""
    conn = store.conn
    if target.kind == "incident":
        row = report_store.incident(conn, target.id)
        alert_ids = report_store.incident_alert_ids(conn, target.id)
    else:
        alert_ids = [target.id]
        row = None
    entities = report_store.alert_entities(conn, alert_ids)
    alerts = [
        _alert_facts(a, entities.get(a["id"], [])) for a in report_store.alerts(conn, alert_ids)
    ]
    subject = _incident_subject(row, len(alerts)) if row else _alert_subject(alerts[0])
    indicators, internal = _split_indicators(report_store.alert_indicators(conn, alert_ids))
    resource_ids = dict.fromkeys(
        [*(row["resources"] if row else []), *(a.resource_id for a in alerts)]
    )
    return Evidence(
        target=target,
        subject=subject,
        description=row["description"] if row else alerts[0].description,
        alerts=alerts,
        techniques=report_store.alert_techniques(conn, alert_ids),
        indicators=indicators,
        internal_ips=internal,
        resources=[_resource(conn, rid) for rid in resource_ids if rid and isinstance(rid, str)],
    )


def _resource(conn: Any, resource_id: str) -> Resource:
    return get_resource(conn, resource_id) or Resource(id=resource_id.lower())


def _alert_facts(row: dict[str, Any], entities: list[tuple[str, str]]) -> AlertFacts:
    return AlertFacts(
        id=row["id"],
        title=row["alert_display_name"],
        alert_type=row["alert_type"],
        description=row["description"],
        severity=row["severity"],
        status=row["status"],
        start=row["start_time_utc"],
        intents=[i for i in row["intent"].split(",") if i],
        remediation=row["remediation_steps"],
        resource_id=row["resource_id"],
        compromised_entity=row["compromised_entity"],
        product=row["product_name"],
        extended_properties=row["extended_properties"],
        entities=entities,
    )


def _incident_subject(row: dict[str, Any], alert_count: int) -> Subject:
    return Subject(
        kind="incident",
        id=row["id"],
        title=display(row["title"], 300),
        severity=display(row["severity"], 40),
        status=display(row["status"], 40),
        first_seen=_day_time(row["first_activity_utc"]),
        last_seen=_day_time(row["last_activity_utc"]),
        alert_count=alert_count,
    )


def _alert_subject(alert: AlertFacts) -> Subject:
    return Subject(
        kind="alert",
        id=alert.id,
        title=display(alert.title, 300),
        severity=display(alert.severity, 40),
        status=display(alert.status, 40),
        first_seen=_day_time(alert.start),
        last_seen=_day_time(alert.start),
        alert_count=1,
    )


def _day_time(stamp: str) -> str:
    """'2024-06-01T12:00:00.000000Z' -> '2024-06-01 12:00 UTC'."""
    text = display(stamp, 40)
    return f"{text[:10]} {text[11:16]} UTC" if len(text) >= 16 and text[10] == "T" else text


def _split_indicators(rows: list[dict[str, Any]]) -> tuple[list[Indicator], list[str]]:
    external, internal = [], []
    for row in rows:
        if row["type"] == "ip" and _is_internal(row["key"]):
            internal.append(row["key"])
            continue
        algorithm = row["data"].get("algorithm") or row["data"].get("Algorithm") or ""
        external.append(
            Indicator(
                type=row["type"],
                value=row["display"] or row["key"],
                key=row["key"],
                alert_ids=sorted(row["alert_ids"]),
                algorithm=str(algorithm),
            )
        )
    return external, internal


def _is_internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_private or ip.is_link_local or ip.is_loopback or ip.is_reserved
