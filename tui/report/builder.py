"""Turn the incident's evidence and the matching intelligence into a report's sections.

One builder for the three types: an Activity Group report covers the attacker, a Campaign report
one campaign, a Threat Summary both. Sections about the incident itself (TTPs, IOCs,
victimology, mitigation) appear in every type, also when nothing could be attributed.
Every string is made displayable here (`display`): visible escapes, bounded length.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from tui.engine.remediation import mitigation_plan
from tui.intel.hardening import IncidentFacts, recommend
from tui.intel.prevention import resource_type
from tui.model import KILL_CHAIN, Intent
from tui.model.text import defang, display
from tui.report import sections_intel as intel_sections
from tui.report.attack import attack_cell
from tui.report.evidence import AlertFacts, Evidence
from tui.report.intel_facts import IntelFacts
from tui.report.model import (
    Bullets,
    Cell,
    Facts,
    Paragraph,
    Report,
    ReportType,
    Section,
    Table,
    Tlp,
)
from tui.report.sections_intel import tactic_name, tactic_rank

TITLE_LIMIT = 200
TEXT_LIMIT = 1500
# Rows of the IOC table (incident's own, then intelligence); the rest is counted, not hidden.
MAX_INDICATORS = 200
MAX_INTEL_INDICATORS = 50
MAX_SEEN_IN = 3  # alerts named per indicator, technique or remediation step
MAX_PLANS, MAX_STEPS = 20, 15  # resources, and remediation steps per resource

EXECUTIVE_SUMMARY = "Executive summary"
IDENTITY = "Attacker identity and associations"
OBJECTIVES = "Objectives"
CAMPAIGNS = "Campaigns"
TTPS = "Tactics, techniques and procedures"
TOOLS = "Tools and malware"
IOCS = "Indicators of compromise"
VICTIMOLOGY = "Victimology"
MITIGATION = "Mitigation and remediation"
ATTRIBUTION = "Attribution evidence"

_IOC_LABELS = {"ip": "IP address", "dns": "Domain", "url": "URL", "filehash": "File hash"}


def build(
    evidence: Evidence,
    facts: IntelFacts,
    report_type: ReportType,
    tlp: Tlp,
    analyst: str,
    date: datetime,
) -> Report:
    report = Report(
        type=report_type,
        title=_title(evidence, facts, report_type),
        tlp=tlp,
        date=date,
        analyst=display(analyst, 80),
        subject=evidence.subject,
        kb_version=display(facts.kb_version, 200),
        assessment=intel_sections.assessment(facts, report_type),
    )
    report.sections.append(_executive_summary(evidence, facts, report_type))
    if report_type is not ReportType.CAMPAIGN:
        report.sections.append(intel_sections.identity(IDENTITY, facts))
        report.sections.append(intel_sections.objectives(OBJECTIVES, facts))
    report.sections.append(intel_sections.campaigns(CAMPAIGNS, facts, report_type, date))
    report.sections.append(_ttps(evidence, facts))
    report.sections.append(intel_sections.tools(TOOLS, facts, report_type))
    report.sections.append(_iocs(evidence, facts))
    report.sections.append(_victimology(evidence, facts))
    report.sections.append(_mitigation(evidence, facts))
    report.sections.append(intel_sections.attribution(ATTRIBUTION, facts))
    return report


def _title(evidence: Evidence, facts: IntelFacts, report_type: ReportType) -> str:
    subject = evidence.subject.label
    campaign = facts.campaign if facts.campaign_basis == "attributed" else None
    if report_type is ReportType.CAMPAIGN and campaign is not None:
        name = campaign.name
    elif facts.group is not None:
        name = facts.group.name
    else:
        return display(f"{report_type.label}: {subject}", TITLE_LIMIT)
    return display(f"{name} — {subject}", TITLE_LIMIT)


# --------------------------------------------------------------------------- summary
def _executive_summary(evidence: Evidence, facts: IntelFacts, report_type: ReportType) -> Section:
    subject = evidence.subject
    stages = _stages(evidence)
    what = (
        f"{subject.label} ({subject.severity} severity, {subject.status}) comprises "
        f"{subject.alert_count} alert{'s' if subject.alert_count != 1 else ''} between "
        f"{subject.first_seen} and {subject.last_seen}"
        + (f", covering the stages {', '.join(stages)}." if stages else ".")
    )
    counts = (
        f"It shows {len(evidence.techniques)} ATT&CK technique(s), "
        f"{len(evidence.indicators)} external indicator(s) and touched "
        f"{len(evidence.resources)} of our resource(s)."
    )
    blocks = [Paragraph(display(what, TEXT_LIMIT)), Paragraph(counts)]
    blocks.append(Paragraph(intel_sections.attribution_sentence(facts, report_type)))
    if evidence.description:
        blocks.append(Paragraph(display(evidence.description, TEXT_LIMIT, multiline=True)))
    return Section(EXECUTIVE_SUMMARY, blocks)


def _stages(evidence: Evidence) -> list[str]:
    """Kill-chain stages seen, in kill-chain order: 'Initial access', 'Persistence', ..."""
    seen = {Intent.parse(i) for a in evidence.alerts for i in a.intents}
    return [i.label for i in KILL_CHAIN if i in seen and i is not Intent.UNKNOWN]


# --------------------------------------------------------------------------- TTPs
def _ttps(evidence: Evidence, facts: IntelFacts) -> Section:
    """The incident's techniques by tactic, then what the attributed actor is known to use."""
    section = Section(TTPS)
    rows: list[tuple[int, str, list[Cell]]] = []
    for technique, alert_ids in evidence.techniques.items():
        name, tactics = facts.technique(technique)
        seen = _seen_in(evidence, alert_ids)
        for tactic in tactics or [""]:
            rows.append(
                (
                    tactic_rank(tactic),
                    technique,
                    [
                        tactic_name(tactic),
                        attack_cell(display(technique, 20)),
                        display(name, 200) or "(not in the knowledge base)",
                        seen,
                    ],
                )
            )
    if rows:
        rows.sort(key=lambda r: (r[0], r[1]))
        section.blocks.append(
            Table(
                ["Tactic", "ATT&CK id", "Technique", "Seen in"],
                [r[2] for r in rows],
                [1.8, 1.1, 2.4, 2.5],
                mono=(1,),
            )
        )
    else:
        section.blocks.append(Paragraph("The alerts carry no ATT&CK technique ids.", note=True))
    known = intel_sections.actor_techniques(facts, set(evidence.techniques))
    if known is not None:
        section.blocks.append(Paragraph("Other techniques the attributed actor is known to use:"))
        section.blocks.append(known)
    return section


def _seen_in(evidence: Evidence, alert_ids: list[int]) -> str:
    named = [f"#{a} {display(evidence.alert(a).title, 60)}" for a in alert_ids[:MAX_SEEN_IN]]
    more = len(alert_ids) - len(named)
    return "; ".join(named) + (f"; and {more} more alert(s)" if more > 0 else "")


# --------------------------------------------------------------------------- IOCs
def _iocs(evidence: Evidence, facts: IntelFacts) -> Section:
    section = Section(IOCS)
    section.blocks.append(
        Paragraph(
            "Indicators are defanged (hxxp, [.]) so they cannot be followed by accident. "
            "Copy them into tools with care.",
            note=True,
        )
    )
    # The most widespread indicators first; the complete list is one export away.
    ranked = sorted(evidence.indicators, key=lambda i: -len(i.alert_ids))
    rows = [
        [
            _IOC_LABELS.get(ind.type, ind.type)
            + (f" ({display(ind.algorithm, 12)})" if ind.algorithm else ""),
            _defanged(ind.type, ind.value),
            "this incident: " + _seen_in(evidence, ind.alert_ids),
        ]
        for ind in ranked[:MAX_INDICATORS]
    ]
    intel_rows = intel_sections.intel_indicator_rows(facts)
    rows.extend(intel_rows[:MAX_INTEL_INDICATORS])
    if rows:
        section.blocks.append(
            Table(["Type", "Indicator", "Seen"], rows, [1.2, 3.2, 2.6], mono=(1,))
        )
        left_out = max(0, len(ranked) - MAX_INDICATORS)
        left_out += max(0, len(intel_rows) - MAX_INTEL_INDICATORS)
        if left_out:
            section.blocks.append(
                Paragraph(
                    f"{left_out} further indicator(s) are not listed here; export them all "
                    f"with: threatdesk export-iocs --{evidence.target.kind} {evidence.target.id}",
                    note=True,
                )
            )
    else:
        section.blocks.append(
            Paragraph("No external IP, domain, URL or file-hash indicators were seen.", note=True)
        )
    if evidence.internal_ips:
        internal = ", ".join(display(ip, 45) for ip in evidence.internal_ips[:20])
        section.blocks.append(
            Paragraph(f"Internal addresses involved (not indicators): {internal}", note=True)
        )
    return section


def _defanged(kind: str, value: str) -> str:
    """Hashes cannot be clicked; everything else is defanged."""
    text = display(value, 2000)
    return text if kind == "filehash" else defang(text)


# --------------------------------------------------------------------------- victimology
def _victimology(evidence: Evidence, facts: IntelFacts) -> Section:
    section = Section(VICTIMOLOGY)
    section.blocks.extend(intel_sections.prevalence(facts))
    section.blocks.append(Paragraph("What this incident touched in our estate:"))
    if evidence.resources:
        rows = [
            [
                display(r.name or r.id.rsplit("/", 1)[-1], 120),
                display(r.type, 80),
                display(r.location, 40) or "—",
                display(", ".join(f"{k}={v}" for k, v in sorted(r.tags.items())), 300) or "—",
            ]
            for r in evidence.resources
        ]
        section.blocks.append(
            Table(["Resource", "Type", "Region", "Tags"], rows, [2.2, 2.2, 1.2, 2.4])
        )
        section.blocks.append(Facts(_estate_summary(evidence)))
    else:
        section.blocks.append(Paragraph("The alerts name no resource of our inventory.", note=True))
    hosts = sorted({display(a.compromised_entity, 120) for a in evidence.alerts} - {""})
    if hosts:
        section.blocks.append(Facts([("Compromised entities", ", ".join(hosts[:30]))]))
    return section


def _estate_summary(evidence: Evidence) -> list[tuple[str, str]]:
    regions = Counter(r.location for r in evidence.resources if r.location)
    types = Counter(r.type for r in evidence.resources if r.type)
    tags = Counter(f"{k}={v}" for r in evidence.resources for k, v in r.tags.items())
    return [
        ("Regions", _counted(regions) or "—"),
        ("Resource types", _counted(types) or "—"),
        ("Tags", _counted(tags) or "—"),
    ]


def _counted(counter: Counter[str]) -> str:
    return display(", ".join(f"{k} ({n})" for k, n in counter.most_common(20)), 600)


# --------------------------------------------------------------------------- mitigation
def _mitigation(evidence: Evidence, facts: IntelFacts) -> Section:
    section = Section(MITIGATION)
    plans = mitigation_plan([_remediation_input(a) for a in evidence.alerts])
    section.blocks.append(Paragraph("Remediation steps from the alerts, per affected resource:"))
    for plan in plans[:MAX_PLANS]:
        section.blocks.append(Paragraph(display(f"On {plan.resource}:", 200)))
        section.blocks.append(
            Bullets(
                [
                    display(
                        f"{step.text} (alert {_alert_refs(step.alert_ids)})",
                        TEXT_LIMIT,
                        multiline=True,
                    )
                    for step in plan.steps[:MAX_STEPS]
                ]
            )
        )
    if not plans:
        section.blocks.append(Paragraph("The alerts carry no remediation steps.", note=True))
    section.blocks.append(Paragraph("ATT&CK mitigations for the techniques seen:"))
    if facts.mitigations:
        rows: list[list[Cell]] = [
            [
                attack_cell(display(m.id, 12)),
                display(m.name, 120),
                display(", ".join(m.techniques), 300),
            ]
            for m in facts.mitigations
        ]
        section.blocks.append(
            Table(["ATT&CK id", "Mitigation", "Addresses"], rows, [1, 3, 2.4], mono=(0,))
        )
    else:
        section.blocks.append(
            Paragraph("No ATT&CK mitigation is recorded for these techniques.", note=True)
        )
    hardening = recommend(_hardening_facts(evidence))
    if hardening:
        section.blocks.append(Paragraph("Prevent future attacks (hardening of what was touched):"))
        section.blocks.append(
            Bullets([display(f"{r.title}: {r.description}", TEXT_LIMIT) for r in hardening[:12]])
        )
    return section


def _remediation_input(alert: AlertFacts) -> dict[str, Any]:
    """An alert as the remediation planner reads it (it fills %{Compromised Host} etc.)."""
    return {
        "id": alert.id,
        "resource_id": alert.resource_id,
        "compromised_entity": alert.compromised_entity,
        "remediation_steps": alert.remediation,
        "extended_properties": alert.extended_properties,
        "entities": alert.entities,
    }


def _alert_refs(alert_ids: list[int]) -> str:
    shown = ", ".join(f"#{a}" for a in alert_ids[:MAX_SEEN_IN])
    more = len(alert_ids) - MAX_SEEN_IN
    return shown + (f" and {more} more" if more > 0 else "")


def _hardening_facts(evidence: Evidence) -> IncidentFacts:
    return IncidentFacts(
        resource_types={
            r.id: resource_type({"id": r.id, "type": r.type}) for r in evidence.resources
        },
        alerts=tuple(
            (
                a.alert_type,
                a.title,
                tuple(t for t, ids in evidence.techniques.items() if a.id in ids),
                tuple(a.intents),
            )
            for a in evidence.alerts
        ),
    )
