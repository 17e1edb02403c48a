"""The Defender for Cloud alert-type catalog (data/catalog), as the demo generator needs it.

The catalog is adapted from Microsoft's "Security alerts - a reference guide" (CC BY 4.0; see
data/catalog/SOURCES.md). Some rows name no alert type; the demo names those itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache

from tui.config import data_dir
from tui.model import Intent

CATALOG_FILE = "catalog/defender-alert-types.json"
_SEEN_MULTIPLE = " [seen multiple times]"


@dataclass(frozen=True, slots=True)
class AlertKind:
    alert_type: str
    display_name: str
    description: str
    severity: str
    intent: str  # Defender's kill-chain intent value, e.g. "CredentialAccess"


class CatalogError(LookupError):
    pass


@lru_cache(maxsize=1)
def _entries() -> tuple[dict, ...]:
    path = data_dir() / CATALOG_FILE
    return tuple(json.loads(path.read_text(encoding="utf-8"))["alert_types"])


def _intent(tactics: list[str]) -> str:
    for tactic in tactics:
        intent = Intent.parse(tactic)
        if intent is not None:
            return intent.value
    return Intent.UNKNOWN.value


@cache
def alert_kind(resource_kind: str, key: str, alert_type: str = "") -> AlertKind:
    """The catalog entry whose alert type (or, for rows without one, display name) is `key`.

    `alert_type` names the type for catalog rows that give none.
    """
    for entry in _entries():
        if entry["resource_kind"] != resource_kind:
            continue
        name = entry["display_name"].removesuffix(_SEEN_MULTIPLE)
        if key in (entry["alert_type"], name):
            return AlertKind(
                alert_type=entry["alert_type"] or alert_type or key,
                display_name=name,
                description=entry["description"],
                severity=entry["severity"] or "Medium",
                intent=_intent(entry["tactics"]),
            )
    raise CatalogError(f"alert type {key!r} ({resource_kind}) is not in {CATALOG_FILE}")
