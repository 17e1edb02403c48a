"""Report sections drawn from the knowledge base: who the attacker is, what they want, their
campaigns, tools and known techniques, intelligence indicators, victimology prevalence, and why
the incident was attributed to them. Each says so plainly when nothing could be attributed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tui.intel.names import clean_description
from tui.intel.profiles import TACTIC_ORDER, TechniqueRef, tactic_label
from tui.model.clock import parse_iso
from tui.model.text import defang, display
from tui.report.attack import attack_cell
from tui.report.intel_facts import IntelFacts
from tui.report.model import Block, Bullets, Cell, Facts, Paragraph, ReportType, Section, Table

TEXT_LIMIT = 1500
LIST_LIMIT = 40  # names listed in one fact before "and N more"
CURRENT_WINDOW = timedelta(days=365)  # a campaign seen within a year of the report is current
NO_GROUP = (
    "No attribution: the incident's indicators, tool names and techniques do not point to any "
    "known activity group with enough confidence. This report still gives the incident's own "
    "techniques, indicators, victimology and mitigations."
)
NO_CAMPAIGN = (
    "No attribution to a known campaign: nothing in the incident matches a campaign of the "
    "knowledge base with enough confidence."
)


def tactic_rank(tactic: str) -> int:
    return TACTIC_ORDER.index(tactic) if tactic in TACTIC_ORDER else len(TACTIC_ORDER)


def tactic_name(tactic: str) -> str:
    return tactic_label(tactic) if tactic else "Other"


def listed(items: Iterable[str], limit: int = LIST_LIMIT) -> str:
    names = [display(i, 120) for i in dict.fromkeys(items) if i]
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "") or "—"


def _prose(text: str) -> str:
    return display(clean_description(text), TEXT_LIMIT, multiline=True)


def assessment(facts: IntelFacts, report_type: ReportType) -> str:
    """The cover's one line: the attributed group (and campaign), or plainly none."""
    parts = []
    candidate = facts.group_candidate
    if candidate is not None:
        parts.append(f"{candidate.name} ({candidate.confidence} confidence)")
    campaign = facts.campaign
    if report_type is not ReportType.ACTIVITY_GROUP and campaign is not None:
        attributed = facts.campaign_basis == "attributed"
        parts.append(
            f"campaign {campaign.name}"
            if attributed
            else f"no campaign match (nearest: {campaign.name})"
        )
    return display("; ".join(parts), 200) if parts else "No attribution"


def attribution_sentence(facts: IntelFacts, report_type: ReportType) -> str:
    group, campaign = facts.group, facts.campaign
    if report_type is ReportType.CAMPAIGN and campaign is None:
        return NO_CAMPAIGN
    if report_type is not ReportType.CAMPAIGN and group is None:
        return NO_GROUP + _rejected(facts)
    parts = []
    if group is not None and facts.group_candidate is not None:
        candidate = facts.group_candidate
        parts.append(
            f"The activity is attributed to {group.name} ({candidate.confidence} confidence, "
            f"score {candidate.score:.1f}), also known as {listed(group.aliases, 6)}."
        )
    if campaign is not None and report_type is not ReportType.ACTIVITY_GROUP:
        parts.append(f"Campaign: {campaign.name} ({_campaign_basis(facts)}).")
    return display(" ".join(parts), TEXT_LIMIT)


def _rejected(facts: IntelFacts) -> str:
    guess = facts.attribution.best_rejected
    if guess is None:
        return ""
    return display(
        f" The strongest candidate, {guess.name} (score {guess.score:.1f}), fell short of the "
        "attribution threshold and is not assumed.",
        400,
    )


def _campaign_basis(facts: IntelFacts) -> str:
    if facts.campaign_basis == "attributed" and facts.campaign_candidate is not None:
        candidate = facts.campaign_candidate
        return f"attributed, {candidate.confidence} confidence, score {candidate.score:.1f}"
    return display(facts.campaign_basis, 200)


def identity(title: str, facts: IntelFacts) -> Section:
    group = facts.group
    if group is None:
        return Section(title, [Paragraph(NO_GROUP + _rejected(facts), note=True)])
    associated = [g.name for g in group.associated_groups]
    rows = [
        ("Name", display(group.name, 120)),
        ("Knowledge-base id", attack_cell(display(group.id, 60))),
        ("Aliases", listed(group.aliases)),
        ("Country", display(group.country, 80) or "unknown"),
        ("Suspected sponsor", display(group.sponsor, 200) or "unknown"),
        ("MISP confidence", _confidence(group.attribution_confidence)),
        ("Related groups", listed(associated) if associated else "none recorded"),
    ]
    blocks: list[Block] = [Facts(rows)]
    if group.description:
        blocks.append(Paragraph(_prose(group.description)))
    if group.references:
        blocks.append(Paragraph("References (printed, not linked; verify before visiting):"))
        blocks.append(Bullets([display(defang(r), 300) for r in group.references[:12]]))
    return Section(title, blocks)


def _confidence(value: str) -> str:
    """MISP's attribution-confidence is a 0-100 number."""
    text = display(value, 40)
    return f"{text} / 100" if text.isdigit() else text or "not stated"


def objectives(title: str, facts: IntelFacts) -> Section:
    group = facts.group
    if group is None:
        return Section(title, [Paragraph("Unknown: no attribution.", note=True)])
    rows = [
        ("Motives", listed(group.motives) if group.motives else "not recorded"),
        (
            "Target sectors",
            listed(group.target_sectors) if group.target_sectors else "not recorded",
        ),
    ]
    return Section(title, [Facts(rows)])


def campaigns(title: str, facts: IntelFacts, report_type: ReportType, date: datetime) -> Section:
    section = Section(title)
    if report_type is not ReportType.ACTIVITY_GROUP:
        section.blocks.extend(_campaign_detail(facts))
    if report_type is not ReportType.CAMPAIGN:
        section.blocks.extend(_group_timeline(facts, date))
    return section


def _campaign_detail(facts: IntelFacts) -> list[Block]:
    campaign = facts.campaign
    if campaign is None:
        return [Paragraph(NO_CAMPAIGN, note=True)]
    rows = [
        ("Campaign", display(campaign.name, 160)),
        ("Knowledge-base id", attack_cell(display(campaign.id, 60))),
        ("Why this campaign", _campaign_basis(facts)),
        ("Also known as", listed(campaign.aliases) if campaign.aliases else "—"),
        ("Period", _period(campaign.first_seen, campaign.last_seen)),
        ("Attributed to", listed(g.name for g in campaign.groups) or "not attributed"),
    ]
    blocks: list[Block] = [Facts(rows)]
    if campaign.description:
        blocks.append(Paragraph(_prose(campaign.description)))
    return blocks


def _group_timeline(facts: IntelFacts, date: datetime) -> list[Block]:
    group = facts.group
    if group is None:
        return [Paragraph("No campaign timeline: no activity group was attributed.", note=True)]
    if not group.campaigns:
        return [Paragraph(f"No campaign of {display(group.name, 80)} is recorded.", note=True)]
    rows: list[list[Cell]] = [
        [
            _period(c.first_seen, c.last_seen),
            attack_cell(display(c.id, 40)),
            display(c.name, 160),
            "current" if _is_current(c.last_seen, date) else "historical",
        ]
        for c in group.campaigns
    ]
    heading = Paragraph(f"Campaigns of {display(group.name, 80)}, oldest first:")
    return [heading, Table(["Period", "Id", "Campaign", "Status"], rows, [2, 1, 3.4, 1.2])]


def _period(first: str, last: str) -> str:
    start, end = display(first[:10], 10), display(last[:10], 10)
    if not start and not end:
        return "dates unknown"
    return start if start == end else f"{start or '?'} — {end or '?'}"


def _is_current(last_seen: str, date: datetime) -> bool:
    try:
        return date - parse_iso(last_seen) <= CURRENT_WINDOW
    except ValueError:
        return False


def tools(title: str, facts: IntelFacts, report_type: ReportType) -> Section:
    software = facts.software(report_type)
    if not software:
        note = "No tools or malware are recorded for the attributed actor or campaign."
        if facts.group is None and facts.campaign is None:
            note = "No tools or malware known: no attribution."
        return Section(title, [Paragraph(note, note=True)])
    named = facts.software_named()
    order = sorted(software, key=lambda s: (s.name.casefold() not in named, s.kind, s.name))
    rows: list[list[Cell]] = [
        [
            attack_cell(display(s.id, 40)),
            display(s.name, 120),
            display(s.kind, 20),
            "yes" if s.name.casefold() in named else "",
        ]
        for s in order
    ]
    headers = ["Id", "Name", "Kind", "Named in the alerts"]
    return Section(title, [Table(headers, rows, [1, 3, 1, 1.6], mono=(0,))])


def actor_techniques(facts: IntelFacts, seen: set[str]) -> Table | None:
    """Known techniques of the attributed group and campaign not seen in the incident."""
    known: dict[str, dict[str, TechniqueRef]] = {}
    for profile in (facts.group, facts.campaign):
        if profile is not None:
            for tactic, refs in profile.techniques_by_tactic.items():
                known.setdefault(tactic, {}).update({r.id: r for r in refs})
    rows: list[list[Cell]] = [
        [tactic_name(tactic), attack_cell(display(ref.id, 20)), display(ref.name, 160)]
        for tactic in sorted(known, key=lambda t: (tactic_rank(t), t))
        for ref in sorted(known[tactic].values(), key=lambda r: r.id)
        if ref.id not in seen
    ]
    if not rows:
        return None
    return Table(["Tactic", "ATT&CK id", "Technique"], rows, [1.8, 1.1, 4.1], mono=(1,))


def intel_indicator_rows(facts: IntelFacts) -> list[list[Cell]]:
    """Indicators of imported intelligence about the attributed group or campaign."""
    return [
        [
            display(kind, 20),
            display(value, 200) if kind == "filehash" else defang(display(value, 2000)),
            display(f"intelligence: {where}", 300),
        ]
        for kind, value, where in facts.intel_indicators
    ]


def prevalence(facts: IntelFacts) -> list[Block]:
    group = facts.group
    if group is None:
        return [
            Paragraph("Industry and geography prevalence: unknown (no attribution).", note=True)
        ]
    rows = [
        ("Industries", listed(group.target_sectors) if group.target_sectors else "not recorded"),
        ("Victim countries", listed(group.victims) if group.victims else "not recorded"),
    ]
    return [Paragraph(f"Where {display(group.name, 80)} has struck before:"), Facts(rows)]


def attribution(title: str, facts: IntelFacts) -> Section:
    """How the attribution was reached: the ranked candidates and what each matched."""
    candidates = [*facts.attribution.groups, *facts.attribution.campaigns]
    intro = Paragraph(
        "Candidates are ranked by indicators matching imported intelligence, malware and tool "
        "names found in the alerts, and shared ATT&CK techniques weighted by how distinctive "
        "each is. Below the threshold the answer is no attribution rather than a guess."
    )
    if not candidates:
        return Section(title, [intro, Paragraph(NO_GROUP + _rejected(facts), note=True)])
    rows: list[list[Cell]] = [
        [
            display(c.kind, 20),
            display(c.name, 120),
            f"{c.score:.1f} ({c.confidence})",
            display(c.explanation(), 900),
        ]
        for c in candidates
    ]
    return Section(
        title, [intro, Table(["Kind", "Candidate", "Score", "Evidence"], rows, [1, 1.8, 1.2, 4.4])]
    )
