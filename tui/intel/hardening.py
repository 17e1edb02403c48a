"""Resource hardening recommendations ('Prevent future attacks') from the catalog in data/."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from tui.config import data_dir


@dataclass(frozen=True)
class IncidentFacts:
    """What an incident touched: the input of the matcher."""

    resource_types: dict[str, str] = field(default_factory=dict)  # resource id -> type
    alerts: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = ()
    # each alert: (alert type, title, techniques, intents)


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    description: str
    why: tuple[str, ...]


@cache
def catalog() -> tuple[dict, ...]:
    text = (data_dir() / "hardening.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["recommendations"])


def _technique_matches(wanted: Iterable[str], seen: Iterable[str]) -> list[str]:
    """Techniques of `seen` covered by `wanted`; a parent id covers its sub-techniques."""
    wanted = tuple(wanted)
    return [t for t in seen if any(t == w or t.startswith(w + ".") for w in wanted)]


def _reasons(entry: dict, facts: IncidentFacts) -> list[str]:
    """Why an entry applies; empty when it does not.

    A resource-specific entry needs its kind of resource (or one of its alert types); techniques
    and stages then add evidence but never apply, say, database advice to a VM on their own.
    """
    anchors, evidence = [], []
    types = {t.lower() for t in entry["resource_types"]}
    for rid, rtype in sorted(facts.resource_types.items()):
        if rtype.lower() in types:
            anchors.append(f"the incident touched {rid.rsplit('/', 1)[-1]} ({rtype})")
    for alert_type, title, techniques, intents in facts.alerts:
        if any(alert_type.startswith(p) for p in entry["alert_type_prefixes"]):
            anchors.append(f"alert '{title}' ({alert_type})")
        for technique in _technique_matches(entry["techniques"], techniques):
            evidence.append(f"technique {technique} seen in '{title}'")
        for intent in sorted(set(intents) & set(entry["intents"])):
            evidence.append(f"{intent} stage seen in '{title}'")
    if types and not anchors:
        return []
    return list(dict.fromkeys(anchors + evidence))


def recommend(facts: IncidentFacts) -> list[Recommendation]:
    """Catalog entries that apply to the incident, most-supported first, each with its reasons."""
    found = []
    for entry in catalog():
        why = _reasons(entry, facts)
        if why:
            found.append(
                Recommendation(entry["id"], entry["title"], entry["description"], tuple(why))
            )
    return sorted(found, key=lambda r: (-len(r.why), r.id))
