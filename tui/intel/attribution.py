"""Who is behind an alert or incident: rank activity groups and campaigns, or say we don't know.

Evidence, strongest first:
  (a) IOCs: alert IPs, domains, URLs and file hashes that match imported STIX indicators which
      indicate a group, campaign or software;
  (b) names: malware and tool names (and group names) found in the alert text, weighted by how
      few groups use that software;
  (c) techniques: ATT&CK techniques the group is known to use, each weighted by IDF over groups,
      so T1059 (used by nearly everyone) says little and T1606.002 (Golden SAML) says a lot.
A candidate is reported only when its score reaches `MIN_SCORE` and at least one piece of its
evidence is distinctive; otherwise the answer is "no attribution".
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tui.intel.iocs import entity_indicator, url_host
from tui.intel.kb import ensure_loaded
from tui.intel.names import NameHit, NameMatcher
from tui.model.text import display
from tui.store import Store, StoreError
from tui.store import intel as db

MIN_SCORE = 6.0
IOC_POINTS = 6.0
GROUP_NAMED_POINTS = 5.0
FUZZY_FACTOR = 0.7
GUARDED_FACTOR = 0.5  # a built-in or everyday name seen as `ping.exe`
DISTINCTIVE_IDF = 2.0  # used by at most ~1 group in 8
MIN_DISTINCTIVE_TECHNIQUES = 3
MAX_CANDIDATES = 5
RUNNER_UP_SHARE = 0.5  # alternatives shown only while they score at least half the leader


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str  # 'ioc' | 'name' | 'software' | 'technique'
    detail: str  # plain text, already in visible form
    points: float
    distinctive: bool
    ref: str = ""  # what it is about: indicator id, software S####, group id, technique T####


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # 'group' | 'campaign'
    id: str
    name: str
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def confidence(self) -> str:
        if self.score >= 2.5 * MIN_SCORE:
            return "high"
        return "medium" if self.score >= 1.6 * MIN_SCORE else "low"

    def explanation(self) -> str:
        """'IOCs: …; malware and tools: …; techniques: …' in plain words."""
        parts = []
        for kind, label in _EVIDENCE_LABELS:
            details = [e.detail for e in self.evidence if e.kind == kind]
            if details:
                parts.append(f"{label}: {', '.join(details)}")
        return "; ".join(parts)


_EVIDENCE_LABELS = (
    ("ioc", "matching indicators"),
    ("name", "named in the alerts"),
    ("software", "malware and tools"),
    ("technique", "techniques"),
)


@dataclass(frozen=True, slots=True)
class Attribution:
    subject: str  # 'incident 7' / 'alert 12'
    groups: tuple[Candidate, ...]
    campaigns: tuple[Candidate, ...]
    techniques: tuple[str, ...]  # the alerts' techniques that were considered
    best_rejected: Candidate | None = None  # the strongest guess we refused to make

    @property
    def attributed(self) -> bool:
        return bool(self.groups or self.campaigns)

    def summary(self) -> str:
        if self.groups:
            top = self.groups[0]
            return f"{self.subject}: most likely {top.name} ({top.confidence} confidence)"
        if self.campaigns:
            return f"{self.subject}: linked to campaign {self.campaigns[0].name}"
        return f"{self.subject}: no attribution (the evidence points to no group clearly)"


def attribute_incident(store: Store, incident_id: int) -> Attribution:
    if not db.incident_exists(store.conn, incident_id):
        raise StoreError(f"incident {incident_id}: no such incident")
    alert_ids = db.incident_alert_ids(store.conn, incident_id)
    return _attribute(store, alert_ids, f"incident {incident_id}")


def attribute_alerts(store: Store, alert_ids: Sequence[int]) -> Attribution:
    if not alert_ids:
        raise StoreError("attribution needs at least one alert")
    found = db.existing_alert_ids(store.conn, list(alert_ids))
    missing = sorted(set(alert_ids) - set(found))
    if missing:
        raise StoreError(f"alert {missing[0]}: no such alert")
    noun = "alert" if len(found) == 1 else "alerts"
    return _attribute(store, found, f"{noun} {', '.join(map(str, found))}")


# --- knowledge-base weights, cached per knowledge-base state ------------------------------------


@dataclass
class _Weights:
    group_techniques: dict[str, set[str]]
    technique_idf: dict[str, float]
    campaign_techniques: dict[str, set[str]]
    software_groups: dict[str, set[str]]
    software_campaigns: dict[str, set[str]]
    software_idf: dict[str, float]
    campaign_groups: dict[str, set[str]]
    matcher: NameMatcher
    names: dict[tuple[str, str], str] = field(default_factory=dict)


_cache: dict[tuple, _Weights] = {}
_cache_lock = threading.Lock()


def _weights(store: Store) -> _Weights:
    key = (str(store.path), tuple((s.name, s.loaded_at) for s in db.sources(store.conn)))
    with _cache_lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = _build_weights(store)
        return _cache[key]


def _expand(techniques: set[str]) -> set[str]:
    """A sub-technique implies its parent: T1110.003 -> {T1110.003, T1110}."""
    return techniques | {t.split(".")[0] for t in techniques}


def _idf(users: dict[str, set[str]]) -> dict[str, float]:
    population = len(users)
    df: dict[str, int] = defaultdict(int)
    for items in users.values():
        for item in items:
            df[item] += 1
    return {item: math.log((population + 1) / (n + 1)) for item, n in df.items()}


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for src, dst in pairs:
        out[src].add(dst)
    return out


def _inverted(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    return _grouped([(dst, src) for src, dst in pairs])


def _build_weights(store: Store) -> _Weights:
    conn = store.conn
    group_techniques = {
        g: _expand(ts)
        for g, ts in _grouped(db.relation_pairs(conn, "group", "uses", "technique")).items()
    }
    group_software = db.relation_pairs(conn, "group", "uses", "software")
    campaign_software = db.relation_pairs(conn, "campaign", "uses", "software")
    campaign_techniques = {
        c: _expand(ts)
        for c, ts in _grouped(db.relation_pairs(conn, "campaign", "uses", "technique")).items()
    }
    return _Weights(
        group_techniques=group_techniques,
        technique_idf=_idf(group_techniques),
        campaign_techniques=campaign_techniques,
        software_groups=_inverted(group_software),
        software_campaigns=_inverted(campaign_software),
        software_idf=_idf(_grouped(group_software)),
        campaign_groups=_grouped(db.relation_pairs(conn, "campaign", "attributed-to", "group")),
        matcher=NameMatcher(db.all_aliases(conn, ("group", "software"))),
    )


# --- scoring ------------------------------------------------------------------------------------


class _Scores:
    """Evidence per (kind, id), deduplicated by detail."""

    def __init__(self) -> None:
        self.evidence: dict[tuple[str, str], dict[str, Evidence]] = defaultdict(dict)

    def add(self, kind: str, object_id: str, evidence: Evidence) -> None:
        bucket = self.evidence[(kind, object_id)]
        if evidence.detail not in bucket or bucket[evidence.detail].points < evidence.points:
            bucket[evidence.detail] = evidence


def _attribute(store: Store, alert_ids: list[int], subject: str) -> Attribution:
    ensure_loaded(store)
    weights = _weights(store)
    evidence = db.alert_evidence(store.conn, alert_ids)
    scores = _Scores()
    _score_iocs(store, weights, evidence, scores)
    texts = [*evidence.texts, *(e[3] for e in evidence.entities)]
    _score_names(weights, weights.matcher.find(texts), scores)
    _score_techniques(store, weights, evidence.techniques, scores)
    return _rank(store, scores, subject, tuple(evidence.techniques))


# STIX observable types -> the value types indicator patterns are stored under.
_VALUE_TYPES = {
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "domain-name": "domain",
    "url": "url",
    "file": "filehash",
}


def _observed_values(entities: list[tuple[int, str, str, str]]) -> list[tuple[str, str]]:
    values = []
    for _alert, kind, key, _display in entities:
        typed = entity_indicator(kind, key)
        if typed is None:
            continue
        values.append((_VALUE_TYPES[typed[0]], typed[1]))
        if typed[0] == "url" and url_host(typed[1]):
            values.append(("domain", url_host(typed[1])))
    return values


def _score_iocs(
    store: Store, weights: _Weights, evidence: db.AlertEvidence, scores: _Scores
) -> None:
    conn = store.conn
    for _type, value, indicator_id, indicator_name in db.indicator_matches(
        conn, _observed_values(evidence.entities)
    ):
        label = display(indicator_name or indicator_id, 80)
        item = Evidence(
            "ioc", f"{display(value, 120)} (indicator {label})", IOC_POINTS, True, indicator_id
        )
        for group in db.related(conn, "indicator", indicator_id, "indicates", "group"):
            scores.add("group", group, item)
        for campaign in db.related(conn, "indicator", indicator_id, "indicates", "campaign"):
            scores.add("campaign", campaign, item)
            for group in weights.campaign_groups.get(campaign, ()):
                scores.add("group", group, item)
        for software in db.related(conn, "indicator", indicator_id, "indicates", "software"):
            _credit_software(weights, scores, software, item.detail, 1.0, from_indicator=True)


def _credit_software(
    weights: _Weights,
    scores: _Scores,
    software: str,
    detail: str,
    factor: float,
    *,
    from_indicator: bool = False,
    guarded: bool = False,
) -> None:
    """Credit the groups and campaigns that use a software seen in the alerts.

    An indicator of the software counts like an IOC; a name counts by how few groups use it,
    and a short or everyday name (seen only as `net.exe`) is never distinctive on its own.
    """
    idf = weights.software_idf.get(software, 0.0)
    points = IOC_POINTS if from_indicator else (1.0 + idf) * factor
    distinctive = from_indicator or (idf >= DISTINCTIVE_IDF and not guarded)
    item = Evidence("software", detail, points, distinctive, software)
    for group in weights.software_groups.get(software, ()):
        scores.add("group", group, item)
    for campaign in weights.software_campaigns.get(software, ()):
        scores.add("campaign", campaign, item)


def _score_names(weights: _Weights, hits: list[NameHit], scores: _Scores) -> None:
    for hit in hits:
        factor = GUARDED_FACTOR if hit.guarded else 1.0 if hit.exact else FUZZY_FACTOR
        found = display(hit.found, 80)
        detail = hit.alias if hit.alias.casefold() == found.casefold() else f"{hit.alias} ({found})"
        if hit.kind == "group":
            item = Evidence("name", detail, GROUP_NAMED_POINTS * factor, True, hit.object_id)
            scores.add("group", hit.object_id, item)
        else:
            _credit_software(weights, scores, hit.object_id, detail, factor, guarded=hit.guarded)


def _score_techniques(
    store: Store, weights: _Weights, techniques: list[str], scores: _Scores
) -> None:
    if not techniques:
        return
    names = db.technique_rows(store.conn, _expand(set(techniques)))
    users = [("group", weights.group_techniques), ("campaign", weights.campaign_techniques)]
    for kind, table in users:
        for object_id, known in table.items():
            for technique in techniques:
                item = _technique_evidence(weights, technique, known, names)
                if item:
                    scores.add(kind, object_id, item)


def _technique_evidence(
    weights: _Weights, technique: str, known: set[str], names: dict[str, db.TechniqueRow]
) -> Evidence | None:
    """Full weight for the exact (sub-)technique, half for a sibling under the same parent."""
    parent = technique.split(".")[0]
    if technique in known:
        matched, factor = technique, 1.0
    elif parent != technique and parent in known:
        matched, factor = parent, 0.5
    else:
        return None
    idf = weights.technique_idf.get(matched, 0.0)
    row = names.get(matched)
    label = f"{matched} {row.name}" if row else matched
    points = idf * factor
    return Evidence("technique", label, points, points >= DISTINCTIVE_IDF, matched)


def _rank(store: Store, scores: _Scores, subject: str, techniques: tuple[str, ...]) -> Attribution:
    accepted: dict[str, list[Candidate]] = {"group": [], "campaign": []}
    rejected: list[Candidate] = []
    for (kind, object_id), bucket in scores.evidence.items():
        items = tuple(sorted(bucket.values(), key=lambda e: (-e.points, e.detail)))
        name = db.name_of(store.conn, kind, object_id) or object_id
        candidate = Candidate(kind, object_id, name, round(sum(e.points for e in items), 2), items)
        (accepted[kind] if _qualifies(candidate) else rejected).append(candidate)
    return Attribution(
        subject=subject,
        groups=_leaders(accepted["group"]),
        campaigns=_leaders(accepted["campaign"]),
        techniques=techniques,
        best_rejected=min(rejected, key=_order) if rejected else None,
    )


def _order(candidate: Candidate) -> tuple[float, str]:
    return (-candidate.score, candidate.name)


def _leaders(candidates: list[Candidate]) -> tuple[Candidate, ...]:
    ranked = sorted(candidates, key=_order)
    if not ranked:
        return ()
    floor = ranked[0].score * RUNNER_UP_SHARE
    return tuple(c for c in ranked[:MAX_CANDIDATES] if c.score >= floor)


def _qualifies(candidate: Candidate) -> bool:
    if candidate.score < MIN_SCORE:
        return False
    strong = [e for e in candidate.evidence if e.distinctive and e.kind != "technique"]
    distinctive_techniques = [
        e for e in candidate.evidence if e.distinctive and e.kind == "technique"
    ]
    return bool(strong) or len(distinctive_techniques) >= MIN_DISTINCTIVE_TECHNIQUES
