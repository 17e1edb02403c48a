"""Normalized alert and entity records: one model for every source format (DESIGN §3)."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tui.model.enums import EntityType, Intent, Severity, Status
from tui.model.text import visible

# Values that never count as evidence shared between alerts.
PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "n/a",
        "na",
        "none",
        "null",
        "unknown",
        "system",
        "localsystem",
        "local system",
        "nt authority\\system",
        "local service",
        "network service",
        "nt authority\\local service",
        "nt authority\\network service",
        "00.00.00.00",
        "0.0.0.0",
        "::",
        "00000000-0000-0000-0000-000000000000",
    }
)


@dataclass(slots=True)
class Entity:
    """An entity of an alert. `key` is the normalized strong key, or None for placeholders."""

    type: EntityType
    display: str
    key: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Alert:
    source_id: str
    source_format: str
    alert_type: str
    alert_display_name: str
    severity: Severity
    start_time_utc: str
    end_time_utc: str
    status: Status = Status.ACTIVE
    description: str = ""
    intent: tuple[Intent, ...] = ()
    system_alert_id: str = ""
    time_generated_utc: str = ""
    processing_end_time_utc: str = ""
    compromised_entity: str = ""
    resource_id: str = ""
    remediation_steps: list[str] = field(default_factory=list)
    extended_properties: dict[str, Any] = field(default_factory=dict)
    extended_links: list[Any] = field(default_factory=list)
    supporting_evidence: Any = None
    resource_identifiers: list[Any] = field(default_factory=list)
    correlation_key: str = ""
    is_incident: bool = False
    product_name: str = ""
    vendor_name: str = ""
    product_component_name: str = ""
    alert_uri: str = ""
    techniques: tuple[str, ...] = ()
    sub_techniques: tuple[str, ...] = ()
    source_incident_id: str = ""
    is_simulated: bool = False
    entities: list[Entity] = field(default_factory=list)
    raw: str = ""


def normalize_ip(value: str) -> str | None:
    """Canonical IP text, or None for invalid, loopback, unspecified and placeholder addresses."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified:
        return None
    return ip.compressed


# Short values (host names, accounts, IPs, resource ids) repeat across thousands of alerts of an
# import; long ones (command lines) rarely do and would make the cache hold megabytes.
_CACHED_CHARS = 256
_CASE_KEPT = frozenset({EntityType.PROCESS, EntityType.URL})


def entity_key(kind: EntityType, value: str) -> str | None:
    """The normalized strong key of an entity value, or None when it cannot be evidence.

    Keys use the visible form (control characters escaped), so `nightly.exe\\x00 & x` never
    equals `nightly.exe`.
    """
    if type(value) is str and len(value) <= _CACHED_CHARS:
        return _cached_key(kind, value)
    return _key(kind, value)


def _key(kind: EntityType, value: str) -> str | None:
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if stripped.lower() in PLACEHOLDERS:
        return None
    if kind is EntityType.IP:
        return normalize_ip(value)
    text = visible(stripped)
    if kind in _CASE_KEPT:
        return text
    if kind is EntityType.FILE_HASH and set(text) == {"0"}:
        return None
    return text.lower()


# typed: a str kind must not share the entry of the EntityType member equal to it. 4096 keys
# of at most 256 characters (a few MB if every one were escaped) hit 84% on the demo tenant.
_cached_key = functools.lru_cache(maxsize=4096, typed=True)(_key)
