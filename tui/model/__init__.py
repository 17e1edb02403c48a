"""Dataclasses and enums of threatdesk; no I/O."""

from tui.model.alert import Alert, Entity, entity_key
from tui.model.enums import KILL_CHAIN, Classification, EntityType, Intent, Severity, Status
from tui.model.text import clip, defang, display, visible

__all__ = [
    "KILL_CHAIN",
    "Alert",
    "Classification",
    "Entity",
    "EntityType",
    "Intent",
    "Severity",
    "Status",
    "clip",
    "defang",
    "display",
    "entity_key",
    "visible",
]
