"""Log Analytics / Microsoft Sentinel `SecurityAlert` rows (JSON or CSV exports).

In the native table Entities, ExtendedProperties, RemediationSteps, Techniques and SubTechniques
are JSON strings, Tactics is comma-separated and times look like
`2024-06-20 08:51:02.123456+00:00`; some exporters (stix-shifter) hand them over already parsed.
The Defender XDR incident id sits in `ExtendedProperties.IncidentId`.
"""

from __future__ import annotations

from typing import Any

import orjson

from tui.ingest import fields as f
from tui.ingest.defender import incident_id, remediation_steps
from tui.ingest.entities import defender_entities
from tui.ingest.errors import RecordError
from tui.model import Alert, Severity

FORMAT = "sentinel"
# Lower bounds of Low, Medium and High on the 0-100 scale some connectors export.
_SEVERITY_EDGES = (10, 40, 70)


def normalize(record: dict, raw: str) -> Alert:
    source_id = f.identifier(record, "SystemAlertId")
    start = f.time_field(record, "StartTime")
    alert_type = f.text(record, "AlertType", required=True)
    resource_id = f.text(record, "ResourceId", limit=f.MAX_ID_CHARS).lower()
    extended = _json_field(record, "ExtendedProperties", dict)
    parents, subs = f.techniques(
        f.split_list(_json_field(record, "Techniques", list), "Techniques")
        + f.split_list(_json_field(record, "SubTechniques", list), "SubTechniques")
    )
    return Alert(
        source_id=source_id,
        source_format=FORMAT,
        alert_type=alert_type,
        alert_display_name=f.text(record, "DisplayName") or f.text(record, "AlertName"),
        severity=_severity(record.get("AlertSeverity")),
        start_time_utc=start,
        end_time_utc=f.time_field(record, "EndTime", required=False, default=start),
        status=f.status(record.get("Status"), "Status"),
        description=f.text(record, "Description", limit=f.MAX_TEXT_CHARS),
        intent=f.intents(f.split_list(record.get("Tactics"), "Tactics")),
        system_alert_id=f.text(record, "VendorOriginalId", limit=f.MAX_ID_CHARS),
        time_generated_utc=f.time_field(record, "TimeGenerated", required=False),
        processing_end_time_utc=f.time_field(record, "ProcessingEndTime", required=False),
        compromised_entity=f.text(record, "CompromisedEntity"),
        resource_id=resource_id,
        remediation_steps=remediation_steps(_steps(record)),
        extended_properties=extended,
        extended_links=_json_field(record, "ExtendedLinks", list),
        correlation_key=f.text(record, "CorrelationKey", limit=f.MAX_ID_CHARS),
        is_incident=f.flag(record, "IsIncident"),
        product_name=f.text(record, "ProductName") or f.text(record, "ProviderName"),
        vendor_name=f.text(record, "VendorName"),
        product_component_name=f.text(record, "ProductComponentName"),
        alert_uri=f.text(record, "AlertLink", limit=f.MAX_TEXT_CHARS),
        techniques=parents,
        sub_techniques=subs,
        source_incident_id=incident_id(extended),
        is_simulated=alert_type.upper().startswith("SIMULATED_"),
        entities=defender_entities(_entity_nodes(record), [resource_id] if resource_id else []),
        raw=raw,
    )


def _json_field(record: dict, key: str, kind: type) -> Any:
    """A field that is a JSON string in the native table, or already parsed."""
    value = record.get(key)
    if value is None or value == "":
        return kind()
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"{key} is not valid JSON ({exc.msg})") from None
    elif isinstance(value, str) and kind is list:
        return [value]
    if not isinstance(value, kind):
        raise RecordError(f"{key} must be JSON {f.type_name(kind())}, got {f.type_name(value)}")
    return value


def _steps(record: dict) -> list:
    return _json_field(record, "RemediationSteps", list)


def _entity_nodes(record: dict) -> list:
    """The Entities array; stix-shifter exports it as an object keyed by entity type."""
    value = record.get("Entities")
    if isinstance(value, dict):
        nodes: list = []
        for item in value.values():
            nodes.extend(item if isinstance(item, list) else [item])
        return nodes
    return _json_field(record, "Entities", list)


def _severity(value: object) -> Severity:
    """A severity word, or a number on a 0-100 scale as some connectors export it."""
    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if isinstance(number, int) and not isinstance(number, bool):
        if not 0 <= number <= 100:
            raise RecordError(f"AlertSeverity {number} is outside 0-100")
        return Severity.from_rank(sum(number >= edge for edge in _SEVERITY_EDGES))
    return f.severity(value, "AlertSeverity")
