"""Defender for Cloud REST (ARM) alerts, api-versions 2019-01-01 to 2022-01-01.

A record is one element of `GET .../providers/Microsoft.Security/alerts` (`id`, `name`, `type`,
`properties`). The ARM `id` is the key: two alerts can share a `systemAlertId` (the 2022 spec
example does), and they stay two alerts. api-version 2019-01-01 named some properties
differently (`alertName`, `reportedSeverity`, `detectedTimeUtc`, `reportedTimeUtc`, `state`,
`associatedResource`, a single `remediationSteps` string); those names are read as fallbacks.
"""

from __future__ import annotations

import orjson

from tui.ingest import fields as f
from tui.ingest.entities import defender_entities
from tui.ingest.errors import RecordError
from tui.model import Alert

FORMAT = "defender"
INCIDENT_ID_KEYS = ("IncidentId", "incidentId", "XDR incident id")


def normalize(record: dict, raw: str) -> Alert:
    source_id = f.identifier(record, "id")
    props = f.obj(record, "properties")
    if not props:
        raise RecordError("missing properties")
    start = f.time_field(props, _named(props, "startTimeUtc", "detectedTimeUtc"))
    generated_key = _named(props, "timeGeneratedUtc", "reportedTimeUtc")
    alert_type = f.text(props, _named(props, "alertType", "alertName"), required=True)
    resource_ids = [
        r["azureResourceId"].lower()
        for r in f.array(props, "resourceIdentifiers")
        if isinstance(r, dict) and isinstance(r.get("azureResourceId"), str)
    ] or [f.text(props, "associatedResource", limit=f.MAX_ID_CHARS).lower()]
    resource_ids = [r for r in resource_ids if r]
    severity_key = _named(props, "severity", "reportedSeverity")
    extended = f.obj(props, "extendedProperties")
    parents, subs = f.techniques(
        f.split_list(props.get("techniques"), "techniques")
        + f.split_list(props.get("subTechniques"), "subTechniques")
    )
    return Alert(
        source_id=source_id,
        source_format=FORMAT,
        alert_type=alert_type,
        alert_display_name=f.text(props, "alertDisplayName", required=True),
        severity=f.severity(props.get(severity_key), severity_key),
        start_time_utc=start,
        end_time_utc=f.time_field(props, "endTimeUtc", required=False, default=start),
        status=f.status(props.get(_named(props, "status", "state")), "status"),
        description=f.text(props, "description", limit=f.MAX_TEXT_CHARS),
        intent=f.intents(f.split_list(props.get("intent"), "intent")),
        system_alert_id=f.text(props, "systemAlertId", limit=f.MAX_ID_CHARS),
        time_generated_utc=f.time_field(props, generated_key, required=False),
        processing_end_time_utc=f.time_field(props, "processingEndTimeUtc", required=False),
        compromised_entity=f.text(props, "compromisedEntity"),
        resource_id=resource_ids[0] if resource_ids else "",
        remediation_steps=remediation_steps(_steps(props)),
        extended_properties=extended,
        extended_links=f.array(props, "extendedLinks"),
        supporting_evidence=props.get("supportingEvidence"),
        resource_identifiers=f.array(props, "resourceIdentifiers"),
        correlation_key=f.text(props, "correlationKey", limit=f.MAX_ID_CHARS),
        is_incident=f.flag(props, "isIncident"),
        product_name=f.text(props, "productName"),
        vendor_name=f.text(props, "vendorName"),
        product_component_name=f.text(props, "productComponentName"),
        alert_uri=f.text(props, "alertUri", limit=f.MAX_TEXT_CHARS),
        techniques=parents,
        sub_techniques=subs,
        source_incident_id=incident_id(extended),
        is_simulated=alert_type.upper().startswith("SIMULATED_"),
        entities=defender_entities(f.array(props, "entities"), resource_ids),
        raw=raw,
    )


def _named(props: dict, name: str, legacy: str) -> str:
    """`name`, or the 2019-01-01 `legacy` name when only that one is present."""
    return legacy if name not in props and legacy in props else name


def _steps(props: dict) -> list:
    steps = props.get("remediationSteps")
    return [steps] if isinstance(steps, str) else f.array(props, "remediationSteps")


def remediation_steps(steps: list) -> list[str]:
    """Steps as text; a step given as a portal action (a JSON string with `displayValue`,
    e.g. `{"kind":"openBlade","displayValue":"Enforce rule",...}`) becomes its display value."""
    out = []
    for step in steps:
        if not isinstance(step, str):
            raise RecordError(f"remediationSteps must hold strings, got {f.type_name(step)}")
        out.append(_display_value(step))
    return out


def _display_value(step: str) -> str:
    if not step.startswith("{"):
        return step
    try:
        action = orjson.loads(step)
    except orjson.JSONDecodeError:
        return step
    if isinstance(action, dict) and isinstance(action.get("displayValue"), str):
        return action["displayValue"]
    return step


def incident_id(extended: dict) -> str:
    for key in INCIDENT_ID_KEYS:
        value = extended.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)[: f.MAX_ID_CHARS]
    return ""
