"""What the knowledge base says about the report's subject: attribution, the attributed group
and campaign, technique names and tactics, mitigations, and intelligence indicators.

Gathered once through the intel API (`tui.intel`), so the builder itself reads nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.intel.attribution import Attribution, Candidate, attribute_alerts, attribute_incident
from tui.intel.kb import ensure_loaded, kb_version
from tui.intel.profiles import (
    CampaignProfile,
    GroupProfile,
    Mitigation,
    SoftwareRef,
    campaign_profile,
    group_profile,
    mitigations_for,
)
from tui.report.evidence import Evidence
from tui.report.model import ReportType
from tui.store import Store
from tui.store import intel as intel_store
from tui.store import reports as report_store

_FOUND_SUFFIX = re.compile(r" \(.*\)$")


@dataclass(slots=True)
class IntelFacts:
    kb_version: str
    attribution: Attribution
    group: GroupProfile | None
    campaign: CampaignProfile | None
    campaign_basis: str  # why this campaign: attributed, or closest of the group's campaigns
    techniques: dict[str, tuple[str, tuple[str, ...]]]  # id -> (name, tactics)
    mitigations: list[Mitigation]
    intel_indicators: list[tuple[str, str, str]] = field(default_factory=list)
    # (type, value, where): indicators of imported intelligence for the group or campaign

    @property
    def group_candidate(self) -> Candidate | None:
        return self.attribution.groups[0] if self.attribution.groups else None

    @property
    def campaign_candidate(self) -> Candidate | None:
        return self.attribution.campaigns[0] if self.attribution.campaigns else None

    def technique(self, technique_id: str) -> tuple[str, tuple[str, ...]]:
        return self.techniques.get(technique_id, ("", ()))

    def software_named(self) -> set[str]:
        """Malware and tool names the attribution found in the incident's text."""
        return _software_named(self.group_candidate or self.campaign_candidate)

    def software(self, report_type: ReportType) -> list[SoftwareRef]:
        found: dict[str, SoftwareRef] = {}
        if report_type is not ReportType.ACTIVITY_GROUP and self.campaign is not None:
            found |= {s.id: s for s in self.campaign.software}
        if report_type is not ReportType.CAMPAIGN and self.group is not None:
            found |= {s.id: s for s in self.group.software}
        return list(found.values())


def _software_named(candidate: Candidate | None) -> set[str]:
    if candidate is None:
        return set()
    # Evidence details read "SUNBURST" or "Mimikatz (mimikatz.exe)": the name, then what matched.
    return {
        _FOUND_SUFFIX.sub("", e.detail).casefold()
        for e in candidate.evidence
        if e.kind == "software"
    }


def intel_facts(store: Store, evidence: Evidence, report_type: ReportType) -> IntelFacts:
    ensure_loaded(store)
    target = evidence.target
    if target.kind == "incident":
        attribution = attribute_incident(store, target.id)
    else:
        attribution = attribute_alerts(store, [target.id])
    group = group_profile(store, attribution.groups[0].id) if attribution.groups else None
    campaign, basis = _campaign(store, attribution, group, evidence)
    version = kb_version(store)
    technique_rows = intel_store.technique_rows(store.conn, evidence.techniques)
    return IntelFacts(
        kb_version=version.label if version else "not loaded",
        attribution=attribution,
        group=group,
        campaign=campaign,
        campaign_basis=basis,
        techniques={t: (row.name, tuple(row.tactics)) for t, row in technique_rows.items()},
        mitigations=mitigations_for(store, list(evidence.techniques)),
        intel_indicators=_intel_indicators(store, group, campaign),
    )


def _campaign(
    store: Store, attribution: Attribution, group: GroupProfile | None, evidence: Evidence
) -> tuple[CampaignProfile | None, str]:
    """The attributed campaign; else the attributed group's campaign closest to the incident."""
    if attribution.campaigns:
        return campaign_profile(store, attribution.campaigns[0].id), "attributed"
    if group is None or not group.campaigns:
        return None, ""
    seen = set(evidence.techniques) | {t.split(".")[0] for t in evidence.techniques}
    named = _software_named(attribution.groups[0])
    scored = []
    for ref in group.campaigns:
        profile = campaign_profile(store, ref.id)
        techniques = {t.id for refs in profile.techniques_by_tactic.values() for t in refs}
        shared = sorted(techniques & seen) + sorted(
            s.name for s in profile.software if s.name.casefold() in named
        )
        scored.append((len(shared), profile.last_seen, profile, shared))
    _count, _last, best, shared = max(scored, key=lambda s: (s[0], s[1]))
    if shared:
        return best, f"closest campaign of {group.name}: shares {', '.join(shared)}"
    return best, f"most recent campaign of {group.name}; nothing in the incident ties it closer"


def _intel_indicators(
    store: Store, group: GroupProfile | None, campaign: CampaignProfile | None
) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for kind, profile in (("group", group), ("campaign", campaign)):
        if profile is None:
            continue
        for value_type, value, name in report_store.indicators_of(store.conn, kind, profile.id):
            found.append((value_type, value, f"indicator {name} for {profile.name}"))
    return found
