"""Builders of normalized alerts for tests that do not care about a source format."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

from tui.model import Alert, Entity, EntityType, Intent, Severity, entity_key
from tui.model.clock import iso

_ids = itertools.count(1)
BASE_TIME = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def entity(kind: EntityType | str, value: str, **data: object) -> Entity:
    kind = EntityType(kind)
    return Entity(type=kind, display=value, key=entity_key(kind, value), data=dict(data))


def make_alert(
    *,
    title: str = "Suspicious process executed",
    alert_type: str = "VM_SuspiciousProcess",
    severity: Severity | str = Severity.MEDIUM,
    minutes: float = 0,
    entities: list[Entity] | None = None,
    intent: tuple[Intent, ...] = (Intent.EXECUTION,),
    resource_id: str = "",
    source_id: str | None = None,
    **fields: object,
) -> Alert:
    """An alert `minutes` after BASE_TIME; every keyword overrides a field."""
    n = next(_ids)
    when = iso(BASE_TIME + timedelta(minutes=minutes))
    source_id = source_id or f"test-alert-{n}"
    alert = Alert(
        source_id=source_id,
        source_format="defender",
        alert_type=alert_type,
        alert_display_name=title,
        severity=Severity(severity),
        start_time_utc=when,
        end_time_utc=when,
        intent=intent,
        resource_id=resource_id.lower(),
        entities=entities or [],
        raw=json.dumps({"id": source_id, "title": title, "n": n}),
    )
    for name, value in fields.items():
        setattr(alert, name, value)
    return alert
