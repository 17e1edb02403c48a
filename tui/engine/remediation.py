"""'Mitigate the threat': the incident's manual remediation steps, merged, de-duplicated and
grouped per affected resource, with placeholders such as %{Compromised Host} filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = re.compile(r"%\{([^{}]{1,64})\}")
# Placeholder names Defender uses, mapped to the entity type that can fill them.
_ENTITY_FOR = {
    "compromised host": "host",
    "host": "host",
    "host name": "host",
    "machine": "host",
    "user name": "account",
    "account": "account",
    "compromised user": "account",
    "attacker ip": "ip",
    "source ip": "ip",
    "ip address": "ip",
    "suspicious process": "process",
    "process": "process",
    "file": "file",
    "url": "url",
}


@dataclass
class Step:
    text: str
    alert_ids: list[int] = field(default_factory=list)


@dataclass
class ResourcePlan:
    resource: str  # the affected resource's name, or the compromised entity
    resource_id: str
    steps: list[Step] = field(default_factory=list)


def fill_placeholders(text: str, alert: dict[str, Any]) -> str:
    """Replace %{Name} from the alert's extended properties, then its entities; keep unknowns."""
    properties = {str(k).strip().lower(): v for k, v in alert["extended_properties"].items()}
    entities: dict[str, str] = {}
    for etype, value in alert["entities"]:
        entities.setdefault(etype, value)
    if alert["compromised_entity"]:
        entities.setdefault("host", alert["compromised_entity"])

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip().lower()
        if isinstance(properties.get(name), str | int | float):
            return str(properties[name])
        etype = _ENTITY_FOR.get(name)
        return entities.get(etype, match.group()) if etype else match.group()

    return _PLACEHOLDER.sub(value, text)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _resource_name(alert: dict[str, Any]) -> tuple[str, str]:
    rid = alert["resource_id"]
    if rid:
        return rid.rsplit("/", 1)[-1], rid
    return alert["compromised_entity"] or "Other", ""


def mitigation_plan(alerts: list[dict[str, Any]]) -> list[ResourcePlan]:
    """Steps per resource in first-seen order; one step shared by several alerts appears once."""
    plans: dict[str, ResourcePlan] = {}
    seen: dict[tuple[str, str], Step] = {}
    for alert in alerts:
        name, rid = _resource_name(alert)
        plan = plans.setdefault(name.lower(), ResourcePlan(name, rid))
        for raw in alert["remediation_steps"]:
            if not isinstance(raw, str) or not raw.strip():
                continue
            text = fill_placeholders(raw.strip(), alert)
            step = seen.get((name.lower(), _key(text)))
            if step is None:
                step = seen[(name.lower(), _key(text))] = Step(text)
                plan.steps.append(step)
            if alert["id"] not in step.alert_ids:
                step.alert_ids.append(alert["id"])
    return [p for p in plans.values() if p.steps]
