"""What an incident says about itself: title, severity, stages, resources, description.

Pure functions over facts aggregated from the incident's alerts. Alert text is attacker-written,
so every piece taken from it goes through `display()` before it becomes part of a title.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.model import KILL_CHAIN, Intent, Severity, display

MULTI_STAGE = 3  # stages that make an incident a multi-stage attack (and raise its severity)
_MAX_NAME = 80
_MAX_RESOURCES = 50
_LABELS = {i: i.label for i in Intent}


@dataclass
class IncidentFacts:
    incident_id: int
    count: int
    first: str
    last: str
    severity_rank: int
    intents: list[str]  # Intent values seen on the alerts
    resources: list[str]  # distinct Azure resource ids
    distinct_titles: int
    first_title: str
    places: list[tuple[str, int]]  # (compromised entity or resource, alerts), most first


@dataclass
class Summary:
    title: str
    description: str
    severity: Severity
    stages: list[str]
    resources: list[str]


def kill_chain_stages(intents: list[str]) -> list[Intent]:
    seen = {i for value in intents if (i := Intent.parse(value)) and i is not Intent.UNKNOWN}
    return [i for i in KILL_CHAIN if i in seen]


def incident_severity(highest_rank: int, stages: int) -> Severity:
    """The highest alert severity, one level up for a multi-stage attack."""
    return Severity.from_rank(highest_rank + (1 if stages >= MULTI_STAGE else 0))


def _name(place: str) -> str:
    # An Azure resource id reads best as its last segment: .../virtualMachines/vm-web-01.
    short = place.rstrip("/").rsplit("/", 1)[-1] if place.startswith("/") else place
    return display(short, _MAX_NAME)


def incident_title(facts: IncidentFacts, stages: list[Intent]) -> str:
    places = [_name(p) for p, _n in facts.places if p] or ["unknown resource"]
    main = places[0]
    chain = " → ".join(_LABELS[s] for s in stages)
    if len(stages) >= MULTI_STAGE:
        return f"Multi-stage attack on {main}: {chain}"
    if len(places) > 1 and facts.distinct_titles == 1:
        return f"{display(facts.first_title, _MAX_NAME)} on {len(places)} resources"
    if len(places) > 1:
        more = f" and {len(places) - 2} more" if len(places) > 2 else ""
        return f"Incident on multiple resources: {places[0]}, {places[1]}{more}"
    if facts.distinct_titles == 1:
        return f"{display(facts.first_title, _MAX_NAME)} on {main} ({facts.count} alerts)"
    what = chain or f"{facts.distinct_titles} kinds of alert"
    return f"{facts.count} related alerts on {main}: {what}"


def summarize(facts: IncidentFacts) -> Summary:
    stages = kill_chain_stages(facts.intents)
    severity = incident_severity(facts.severity_rank, len(stages))
    resources = (
        facts.resources[:_MAX_RESOURCES] or [p for p, _n in facts.places if p][:_MAX_RESOURCES]
    )
    where = ", ".join(_name(p) for p, _n in facts.places[:5] if p) or "no named resource"
    description = (
        f"{facts.count} alerts from {facts.first} to {facts.last} on {where}."
        + (f" Kill-chain stages: {' → '.join(_LABELS[s] for s in stages)}." if stages else "")
        + (
            " Severity raised one level: the attack spans several stages."
            if len(stages) >= MULTI_STAGE and facts.severity_rank < 3
            else ""
        )
    )
    return Summary(
        title=incident_title(facts, stages),
        description=description,
        severity=severity,
        stages=[s.value for s in stages],
        resources=resources,
    )
