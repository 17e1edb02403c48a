"""'Prevent future attacks': ATT&CK mitigations for the incident's techniques and hardening
recommendations for the kinds of resources it touched, each with why it applies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.intel.hardening import IncidentFacts, Recommendation, recommend
from tui.intel.profiles import Mitigation, mitigations_for
from tui.store import Store
from tui.store.incident_detail import IncidentDetail, techniques_by_alert

_PROVIDER_TYPE = re.compile(r"/providers/([^/]+/[^/]+)/[^/]+$")


@dataclass
class Prevention:
    mitigations: list[Mitigation]
    hardening: list[Recommendation]


def resource_type(resource: dict) -> str:
    """The inventory's type, or the one an Azure resource id spells out."""
    if resource.get("type"):
        return resource["type"].lower()
    found = _PROVIDER_TYPE.search(resource["id"].lower())
    return found.group(1) if found else ""


def prevention(store: Store, detail: IncidentDetail) -> Prevention:
    incident_id = detail.fields["id"]
    per_alert = techniques_by_alert(store.conn, incident_id)
    facts = IncidentFacts(
        resource_types={r["id"]: resource_type(r) for r in detail.resources},
        alerts=tuple(
            (
                a["alert_type"],
                a["alert_display_name"],
                tuple(per_alert.get(a["id"], ())),
                tuple(filter(None, a["intent"].split(","))),
            )
            for a in detail.alerts
        ),
    )
    return Prevention(mitigations_for(store, detail.techniques), recommend(facts))
