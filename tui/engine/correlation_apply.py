"""Writing a correlation result: incidents with stable ids, explanations and summaries."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass

from tui.engine.correlation_explain import Explainer
from tui.engine.correlation_links import Component, Linker, LinkKind
from tui.engine.correlation_scope import Graph
from tui.model import display
from tui.model.clock import utcnow
from tui.store import correlation_data as cdb
from tui.store import incidents as db
from tui.store.incident_summary import IncidentFacts


@dataclass
class CorrelationResult:
    mode: str  # "rebuild" or "incremental"
    alerts: int  # alerts whose membership was recomputed
    created: int = 0
    updated: int = 0
    merged: int = 0  # incidents absorbed by another one
    dissolved: int = 0  # incidents left with fewer than two alerts
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.mode}: {self.alerts:,} alerts examined; incidents {self.created:,} created,"
            f" {self.updated:,} updated, {self.merged:,} merged, {self.dissolved:,} dissolved"
            f" in {self.seconds:.2f} s"
        )


def apply(
    conn,
    graph: Graph,
    linker: Linker,
    components: list[Component],
    scope_ids: array | None,
    mode: str,
) -> CorrelationResult:
    """Write the components as incidents, reusing the incident ids they overlap most.

    Only changed memberships are written; only changed incidents are summarised again.
    """
    result = CorrelationResult(mode, 0)
    now = utcnow()
    current = db.memberships(conn, scope_ids)
    labels = _entity_labels(conn, linker, components)
    explain = Explainer(linker, graph.alert_id, lambda e: labels.get(e, f"entity {e}"))
    plan, claimed = _assign(conn, graph, components, current)
    rows, reasons, touched, placed = [], {}, {}, set()
    before = {inc for inc, _r in current.values()}
    fresh = iter(db.create_incidents(conn, sum(1 for i, _c in plan if i is None), now))
    for incident_id, comp in plan:
        if incident_id is None:
            incident_id = next(fresh)
            result.created += 1
        changed = incident_id not in before
        for i in comp.members:
            alert_id = graph.alert_id(i)
            placed.add(alert_id)
            reason = explain.alert_reason(i, graph.pinned_by)
            if current.get(alert_id) != (incident_id, reason):
                rows.append((alert_id, incident_id, reason, now))
                changed = True
        if changed:
            touched[incident_id] = comp.members
            reasons[incident_id] = explain.incident_reasons(comp.members)
    rows.sort()  # alert id order: appends to the membership B-tree instead of random inserts
    db.set_members(conn, rows, current)
    db.drop_members(conn, [a for a in current if a not in placed])
    gone = before - claimed
    absorbed = {current[a][0] for a in placed if a in current} & gone
    result.merged, result.dissolved = len(absorbed), len(gone - absorbed)
    db.delete_incidents(conn, gone)
    db.write_summaries(conn, _facts(conn, graph, touched), reasons)
    result.updated = len(touched) - result.created
    return result


def _assign(
    conn, graph: Graph, components: list[Component], current: dict[int, tuple[int, str]]
) -> tuple[list[tuple[int | None, Component]], set[int]]:
    """Incident id of each component: its analyst's pin, else the one it overlaps most."""
    forced = db.existing_incidents(conn, {c.incident for c in components if c.incident})
    claimed: set[int] = set()
    plan: list[tuple[int | None, Component]] = []
    for comp in sorted(components, key=lambda c: (c.incident not in forced, -len(c.members))):
        if comp.incident in forced:
            claimed.add(comp.incident)
            plan.append((comp.incident, comp))
            continue
        overlap = Counter(current[a][0] for a in map(graph.alert_id, comp.members) if a in current)
        ranked = sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))
        choice = next((i for i, _n in ranked if i not in claimed), None)
        if choice is not None:
            claimed.add(choice)
        plan.append((choice, comp))
    return plan, claimed


def _facts(conn, graph: Graph, incidents: dict[int, list[int]]) -> list[IncidentFacts]:
    """What each incident's summary needs, from the arrays already in memory."""
    scope = graph.scope
    graph.load_intents(conn, (i for members in incidents.values() for i in members))
    kinds = {graph.type_names[scope.kind[i]] for members in incidents.values() for i in members}
    titles = db.type_display_names(conn, kinds)
    hosts = {c for members in incidents.values() for c in graph.site_codes(members) if c > 0}
    host_names = {eid: shown for eid, (_t, _k, shown) in cdb.entity_keys(conn, hosts).items()}
    out = []
    for incident_id, members in incidents.items():
        times = [scope.time[i] for i in members]
        places = Counter(scope.site[i] for i in members if scope.site[i])
        kinds_seen = Counter(scope.kind[i] for i in members)
        names = [graph.resource_names[-c - 1] for c in places if c < 0]
        out.append(
            IncidentFacts(
                incident_id=incident_id,
                count=len(members),
                first=cdb.iso_at(min(times)),
                last=cdb.iso_at(max(times)),
                severity_rank=max(scope.rank[i] for i in members),
                intents=sorted(
                    {
                        p
                        for i in members
                        for p in graph.intent_names[scope.intent[i]].split(",")
                        if p
                    }
                ),
                resources=sorted(n for n in names if n.startswith("/")),
                distinct_titles=len(kinds_seen),
                first_title=titles.get(graph.type_names[kinds_seen.most_common(1)[0][0]], ""),
                places=sorted(
                    (
                        (host_names.get(c, "") if c > 0 else graph.resource_names[-c - 1], n)
                        for c, n in places.items()
                    ),
                    key=lambda p: (-p[1], p[0]),
                ),
            )
        )
    return out


def _entity_labels(conn, linker: Linker, components: list[Component]) -> dict[int, str]:
    wanted: set[int] = set()
    for comp in components:
        for i in comp.members:
            kind, ref = linker.keys[linker.reason_key[i]]
            if kind is LinkKind.ENTITY and ref is not None:
                wanted.add(int(ref))  # type: ignore[arg-type]
    return {
        eid: f"{kind.replace('-', ' ')} {display(_short(kind, shown), 120)}"
        for eid, (kind, _key, shown) in cdb.entity_keys(conn, wanted).items()
    }


def _short(kind: str, shown: str) -> str:
    """An Azure resource id reads best as its name: .../virtualMachines/vm-web-01."""
    if kind == "azure-resource" and "/" in shown:
        return shown.rstrip("/").rsplit("/", 1)[-1]
    return shown
