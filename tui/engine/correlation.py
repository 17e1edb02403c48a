"""Correlation: connect distinct alerts into incidents, incrementally or by a full rebuild.

The result is defined by one graph (docs/correlation.md): alerts are linked by strong entities,
source correlation keys, the source product's incident id, and one alert type on several
resources, each within its time window; weak and stop-listed entities link nothing; analyst
pins and removals are respected. Incidents are its connected groups of two or more alerts.

`rebuild` computes the whole graph over compact arrays. `correlate_new` recomputes only the
region a batch can change: the new alerts, the alerts near them on each of their link keys,
every alert of a key whose strength flipped, and the whole incidents those belong to. Links
depend only on the alerts inside a window, so this region is closed and both give one result.
"""

from __future__ import annotations

import re
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tui.config import current_user
from tui.engine.correlation_explain import Explainer
from tui.engine.correlation_links import (
    EXCLUDED,
    FREE,
    PINNED,
    Component,
    Linker,
    LinkKind,
    Scope,
)
from tui.engine.correlation_settings import CorrelationSettings
from tui.model import display
from tui.model.alert import PLACEHOLDERS
from tui.model.clock import utcnow
from tui.store import Store, StoreError, transaction
from tui.store import incidents as db
from tui.store.audit import record

# Entity keys that never count as evidence, whatever their type: built-in accounts shared by
# every Windows machine, loopback/broadcast names and addresses, placeholders.
STOP_KEYS = frozenset(
    PLACEHOLDERS
    | {
        "system@nt authority",
        "local service@nt authority",
        "network service@nt authority",
        "anonymous logon@nt authority",
        "s-1-5-18",
        "s-1-5-19",
        "s-1-5-20",
        "s-1-5-7",
        "localhost",
        "localhost.localdomain",
        "127.0.0.1",
        "::1",
        "255.255.255.255",
    }
)
_ANY = (0,)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_local_account(key: str) -> bool:
    """An account named without domain, UPN, SID or directory id ("admin", "root").

    Such a name is local to a machine: the same name elsewhere is another account, and on its
    own machine the host already links the alerts. So it is never evidence.
    """
    return not ("@" in key or "\\" in key or key.startswith("s-1-") or _GUID.fullmatch(key))


def _is_stopped(kind: str, key: str, s: CorrelationSettings) -> bool:
    return key in STOP_KEYS or key in s.stop_list or (kind == "account" and is_local_account(key))


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


def _settings(settings: CorrelationSettings | None) -> CorrelationSettings:
    return settings or CorrelationSettings()


# --- building a scope ----------------------------------------------------------------------


class _Graph:
    """A scope of alerts (dense indexes) with the facts correlation needs about each."""

    def __init__(self, size: int, index: Callable[[int], int | None], ids: array | None):
        self.scope = Scope.empty(size)
        self.index = index
        self.ids = ids  # dense index -> alert id; None when they are equal
        self.type_names: list[str] = [""]  # code 0: no alert at this index
        self.type_codes = _Codes(self.type_names, 0)
        self.resource_names: list[str] = []
        self.resource_codes = _Codes(self.resource_names, 1)
        self.resource_codes[""] = 0
        self.values: dict[tuple[LinkKind, str], list[int]] = {}
        self.pinned_by: dict[int, str] = {}

    def alert_id(self, i: int) -> int:
        return i if self.ids is None else self.ids[i]

    def load(self, conn, facts: Iterable[db.Fact]) -> None:
        for rows in _batches(facts, 50_000):
            self._load_rows(rows)
        pinned, removed = db.overrides(conn)
        scope = self.scope
        for alert_id in removed:
            i = self.index(alert_id)
            if i is not None:
                scope.state[i] = EXCLUDED
        for alert_id, (incident_id, actor) in pinned.items():
            i = self.index(alert_id)
            if i is not None and scope.state[i] == FREE:
                scope.state[i] = PINNED
                scope.pinned[i] = incident_id
                self.pinned_by[i] = actor

    def _load_rows(self, rows: list[db.Fact]) -> None:
        scope = self.scope
        ids, epochs, types, resources, hosts, corr_keys, source_incidents = zip(*rows, strict=True)
        kinds = map(self.type_codes.__getitem__, types)
        sites = [
            -r or (h or 0)
            for r, h in zip(map(self.resource_codes.__getitem__, resources), hosts, strict=True)
        ]
        if self.ids is None and ids[-1] - ids[0] + 1 == len(ids):
            # Dense ids (the usual case in a rebuild): whole slices at C speed.
            span = slice(ids[0], ids[-1] + 1)
            scope.time[span] = array("q", epochs)
            scope.kind[span] = array("q", kinds)
            scope.site[span] = array("q", sites)
            scope.state[span] = bytes(len(ids))
            indexes: Iterable[int | None] = range(ids[0], ids[-1] + 1)
        else:
            indexes = list(map(self.index, ids))
            for i, epoch, kind, site in zip(indexes, epochs, kinds, sites, strict=True):
                if i is not None:
                    scope.time[i], scope.kind[i], scope.site[i] = epoch, kind, site
                    scope.state[i] = FREE
        for i, corr_key, source_incident in zip(indexes, corr_keys, source_incidents, strict=True):
            if corr_key and i is not None:
                self.values.setdefault((LinkKind.CORRELATION_KEY, corr_key), []).append(i)
            if source_incident and i is not None:
                self.values.setdefault((LinkKind.SOURCE_INCIDENT, source_incident), []).append(i)

    def site_name(self, code: int) -> str:
        return f"h{code}" if code > 0 else f"r{self.resource_names[-code - 1]}"

    def sites(self, members: Iterable[int], limit: int, into: set[str] | None = None) -> set[str]:
        """Distinct resources of these alerts (with `into`); counting stops at `limit`."""
        codes: set[int] = set()
        site = self.scope.site
        for i in members:
            if site[i]:
                codes.add(site[i])
                if into is None and len(codes) >= limit:
                    break
        found = into if into is not None else set()
        found.update(map(self.site_name, codes))
        return found


class _Codes(dict):
    """Interns names as small ints at C speed: codes[name] assigns the next code when new."""

    def __init__(self, names: list[str], first: int) -> None:
        super().__init__()
        self.names = names
        self.first = first

    def __missing__(self, name: str) -> int:
        code = self[name] = len(self.names) + self.first
        self.names.append(name)
        return code


def _batches(rows: Iterable, size: int) -> Iterable[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _link_values(graph: _Graph, linker: Linker) -> None:
    for key, members in graph.values.items():
        linker.link(key, members, None, lambda _i: _ANY, 1)


def _link_types(
    graph: _Graph, linker: Linker, strong: Callable[[str], bool], s: CorrelationSettings
) -> None:
    """One alert type on several resources, among alerts no other rule has linked.

    Runs last: an alert already explained by its own incident is not regrouped by its type.
    """
    scope = graph.scope
    members: dict[int, list[int]] = {}
    wanted = {code for name, code in graph.type_codes.items() if strong(name)}
    linked = linker.reason_key
    for i, code in enumerate(scope.kind):
        if code in wanted and scope.state[i] == FREE and not linked[i]:
            members.setdefault(code, []).append(i)
    for code, group in members.items():
        linker.link(
            (LinkKind.ALERT_TYPE, graph.type_names[code]),
            group,
            s.type_window_seconds,
            scope.sites_of,
            s.type_min_resources,
        )


def _is_weak(count: int, sites: set[str] | list[str], stop: bool, s: CorrelationSettings) -> bool:
    return stop or count >= s.max_alerts or len(sites) >= s.max_sites


def _type_strong(stats: tuple[int, list | set], s: CorrelationSettings) -> bool:
    count, sites = stats
    return (
        2 <= count < s.max_alerts
        and len(sites) < s.type_max_sites
        and count <= s.type_max_per_resource * len(sites)
    )


def _stop_ids(conn, s: CorrelationSettings) -> set[int]:
    stopped = db.entities_with_keys(conn, STOP_KEYS | set(s.stop_list))
    stopped.update(
        eid for eid, key in db.entity_keys_of_type(conn, "account") if is_local_account(key)
    )
    return stopped


# --- rebuild -------------------------------------------------------------------------------


def rebuild(store: Store, settings: CorrelationSettings | None = None) -> CorrelationResult:
    """Recompute every incident from all alerts, keeping analyst decisions and incident ids."""
    s = _settings(settings)
    started = time.perf_counter()
    conn = store.conn
    conn.execute("BEGIN")  # one consistent snapshot for the reads; writers are not blocked
    try:
        fingerprint = db.overrides_fingerprint(conn)
        top = db.max_alert_id(conn)
        size = top + 1
        graph = _Graph(size, lambda a: a if a < size else None, None)
        graph.load(conn, db.alert_facts(conn))
        linker = Linker(graph.scope)
        stop = _stop_ids(conn, s)
        stats = _link_all_entities(conn, graph, linker, stop, s)
        types = _all_type_stats(graph, s)
        _link_values(graph, linker)
        _link_types(graph, linker, lambda t: _type_strong(types[t], s), s)
        components = linker.components(range(size))
    finally:
        conn.execute("COMMIT")
    with transaction(conn):
        if db.overrides_fingerprint(conn) != fingerprint:
            raise StoreError("an analyst changed incidents during the rebuild: run it again")
        db.reset_stats(conn)
        db.save_entity_stats(conn, stats)
        db.save_type_stats(conn, ((t, n, sorted(sites)) for t, (n, sites) in types.items()))
        result = _apply(conn, graph, linker, components, None, "rebuild")
        db.mark_all_correlated(conn, top)
        db.clear_dirty(conn)
        result.alerts = sum(1 for state in graph.scope.state if state != EXCLUDED)
        result.seconds = time.perf_counter() - started
        _audit(conn, result)
    return result


def _all_type_stats(graph: _Graph, s: CorrelationSettings) -> dict[str, tuple[int, set[str]]]:
    """Alerts and distinct sites (up to `type_max_sites`) of every alert type."""
    counts: Counter[int] = Counter()
    sites: dict[int, set[int]] = {}
    scope = graph.scope
    for i, code in enumerate(scope.kind):
        if code:
            counts[code] += 1
            found = sites.setdefault(code, set())
            if scope.site[i] and len(found) < s.type_max_sites:
                found.add(scope.site[i])
    return {
        graph.type_names[code]: (n, {graph.site_name(x) for x in sites[code]})
        for code, n in counts.items()
    }


def _link_all_entities(conn, graph: _Graph, linker: Linker, stop: set[int], s) -> list[tuple]:
    """Link by every strong entity; return the specificity stats of entities in 2+ alerts."""
    stats = []
    window = s.window_seconds
    types_of = graph.scope.types_of
    for entity_id, count, alert_ids in db.entity_groups(conn, s.max_alerts):
        if alert_ids is None:  # too common: weak whatever else is true
            stats.append((entity_id, count, [], True))
            continue
        sites = graph.sites(alert_ids, s.max_sites)
        weak = _is_weak(count, sites, entity_id in stop, s)
        stats.append((entity_id, count, sorted(sites), weak))
        if not weak:
            linker.link((LinkKind.ENTITY, entity_id), alert_ids, window, types_of, 2)
    return stats


# --- incremental ---------------------------------------------------------------------------


def correlate_new(
    store: Store, alert_ids: Iterable[int], settings: CorrelationSettings | None = None
) -> CorrelationResult:
    """Correlate newly imported alerts (and settle incidents analysts edited).

    Alerts already correlated are skipped, so calling this twice changes nothing. A batch
    larger than `incremental_limit` runs as a rebuild, which gives the same result faster.
    """
    s = _settings(settings)
    started = time.perf_counter()
    conn = store.conn
    fresh = db.uncorrelated(conn, alert_ids)
    if len(fresh) > s.incremental_limit or (fresh and not _has_correlated(conn)):
        return rebuild(store, s)
    with transaction(conn):
        dirty = db.dirty_alerts(conn)
        if not fresh and not dirty:
            return CorrelationResult("incremental", 0)
        region = _region(conn, fresh, dirty, s)
        members = db.memberships(conn, region)
        region.update(db.incident_alert_ids(conn, {inc for inc, _r in members.values()}))
        ids = array("q", sorted(region))
        position = {alert_id: i for i, alert_id in enumerate(ids)}
        graph = _Graph(len(ids), position.get, ids)
        graph.load(conn, db.alert_facts(conn, ids))
        linker = Linker(graph.scope)
        _link_region_entities(conn, graph, linker, s)
        types = db.type_stats(conn, graph.type_names[1:])
        _link_values(graph, linker)
        _link_types(graph, linker, lambda t: _type_strong(types.get(t, (0, [])), s), s)
        components = linker.components(range(len(ids)))
        result = _apply(conn, graph, linker, components, ids, "incremental")
        db.mark_correlated(conn, fresh)
        db.clear_dirty(conn)
        result.alerts = len(ids)
        result.seconds = time.perf_counter() - started
    return result


def _has_correlated(conn) -> bool:
    return conn.execute("SELECT 1 FROM correlated_alerts LIMIT 1").fetchone() is not None


def _region(conn, fresh: list[int], dirty: list[int], s: CorrelationSettings) -> set[int]:
    """The alerts whose links the batch can change; updates entity and type statistics."""
    region = set(fresh) | set(dirty)
    batch = _Graph(len(fresh), {a: i for i, a in enumerate(fresh)}.get, array("q", fresh))
    batch.load(conn, db.alert_facts(conn, fresh))
    scope = batch.scope
    by_entity: dict[int, list[int]] = {}
    for entity_id, alert_id in db.entity_links(conn, fresh):
        by_entity.setdefault(entity_id, []).append(batch.index(alert_id))
    region |= _entity_neighbours(conn, batch, by_entity, s)
    type_members: dict[str, list[int]] = {}
    for i, code in enumerate(scope.kind):
        type_members.setdefault(batch.type_names[code], []).append(i)
    before = db.type_stats(conn, type_members)
    after = {}
    for alert_type, members in type_members.items():
        count, sites = before.get(alert_type, (0, []))
        sites = batch.sites(members, s.type_max_sites, set(sites))
        after[alert_type] = (count + len(members), sorted(sites)[: s.type_max_sites])
    db.save_type_stats(conn, ((t, n, sites) for t, (n, sites) in after.items()))
    for alert_type, members in type_members.items():
        strong = _type_strong(after[alert_type], s)
        if strong != _type_strong(before.get(alert_type, (0, [])), s):
            region.update(db.type_alerts(conn, alert_type))  # every link of the type changes
        elif strong:
            low, high = _span(scope, members, s.type_window_seconds)
            region.update(db.type_alerts(conn, alert_type, low, high))
    for (kind, value), _members in batch.values.items():
        column = "correlation_key" if kind is LinkKind.CORRELATION_KEY else "source_incident_id"
        region.update(db.alerts_with_value(conn, column, value))
    return region


def _span(scope: Scope, members: list[int], window: int) -> tuple[int, int]:
    times = [scope.time[i] for i in members]
    return min(times) - window, max(times) + window


def _entity_neighbours(
    conn, batch: _Graph, by_entity: dict[int, list[int]], s: CorrelationSettings
) -> set[int]:
    """Update the batch's entity statistics; return the alerts near it on strong entities."""
    found: set[int] = set()
    old = db.entity_stats(conn, by_entity)
    keys = db.entity_keys(conn, [e for e in by_entity if e not in old or not old[e][2]])
    rows = []
    for entity_id, members in by_entity.items():
        previous = old.get(entity_id)
        if previous is not None and previous[2]:
            rows.append((entity_id, previous[0] + len(members), previous[1], True))
            continue  # weak stays weak: counts only grow
        if previous is None:
            everyone = db.entity_alerts(conn, entity_id)
            count, sites = len(everyone), _sites_of_alerts(conn, everyone, s.max_sites)
            if count >= 2:
                found.update(everyone)  # never linked before: all its alerts may link now
        else:
            count = previous[0] + len(members)
            sites = batch.sites(members, s.max_sites, set(previous[1]))
        kind, key, _shown = keys.get(entity_id, ("", "", ""))
        weak = _is_weak(count, sites, _is_stopped(kind, key, s), s)
        if count >= 2:
            rows.append((entity_id, count, sorted(sites)[: s.max_sites], weak))
        if weak and previous is not None:
            found.update(db.entity_alerts(conn, entity_id))  # its links are gone
        elif not weak:
            low, high = _span(batch.scope, members, s.window_seconds)
            near = db.entity_alerts_between(conn, entity_id, low, high)
            if len({alert_type for _a, alert_type in near}) > 1:
                found.update(a for a, _t in near)  # else one detection repeating: no link
    db.save_entity_stats(conn, rows)
    return found


def _sites_of_alerts(conn, alert_ids: list[int], limit: int) -> set[str]:
    graph = _Graph(len(alert_ids), {a: i for i, a in enumerate(alert_ids)}.get, None)
    graph.load(conn, db.alert_facts(conn, alert_ids))
    return graph.sites(range(len(alert_ids)), limit)


def _link_region_entities(conn, graph: _Graph, linker: Linker, s: CorrelationSettings) -> None:
    groups: dict[int, list[int]] = {}
    for entity_id, alert_id in db.entity_links(conn, graph.ids):
        groups.setdefault(entity_id, []).append(graph.index(alert_id))
    shared = [e for e, members in groups.items() if len(members) > 1]
    stats = db.entity_stats(conn, shared)
    for entity_id in shared:
        known = stats.get(entity_id)
        if known is not None and not known[2]:
            linker.link(
                (LinkKind.ENTITY, entity_id),
                groups[entity_id],
                s.window_seconds,
                graph.scope.types_of,
                2,
            )


# --- writing the result --------------------------------------------------------------------


def _apply(
    conn,
    graph: _Graph,
    linker: Linker,
    components: list[Component],
    scope_ids: array | None,
    mode: str,
) -> CorrelationResult:
    """Write the components as incidents, reusing the incident ids they overlap most."""
    result = CorrelationResult(mode, 0)
    now = utcnow()
    current = db.memberships(conn, scope_ids)
    labels = _entity_labels(conn, linker, components)
    explain = Explainer(linker, graph.alert_id, lambda e: labels.get(e, f"entity {e}"))
    forced = db.existing_incidents(conn, {c.incident for c in components if c.incident})
    claimed: set[int] = set()
    plan: list[tuple[int | None, Component]] = []
    for comp in sorted(components, key=lambda c: (c.incident is None, -len(c.members))):
        if comp.incident in forced:
            claimed.add(comp.incident)
            plan.append((comp.incident, comp))
            continue
        overlap = Counter(current[a][0] for a in map(graph.alert_id, comp.members) if a in current)
        best = [i for i, _n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))]
        choice = next((i for i in best if i not in claimed), None)
        if choice is not None:
            claimed.add(choice)
        plan.append((choice, comp))
    rows, reasons, touched, placed = [], {}, set(), set()
    before = {inc for inc, _r in current.values()}
    fresh = iter(db.create_incidents(conn, sum(1 for i, _c in plan if i is None), now))
    for incident_id, comp in plan:
        if incident_id is None:
            incident_id = next(fresh)
            result.created += 1
        changed = False
        for i in comp.members:
            alert_id = graph.alert_id(i)
            placed.add(alert_id)
            reason = explain.alert_reason(i, graph.pinned_by)
            if current.get(alert_id) != (incident_id, reason):
                rows.append((alert_id, incident_id, reason, now))
                changed = True
        if changed or incident_id not in before:
            touched.add(incident_id)
            reasons[incident_id] = explain.incident_reasons(comp.members)
    db.set_members(conn, rows)
    db.drop_members(conn, [a for a in current if a not in placed])
    gone = before - claimed
    absorbed = {current[a][0] for a in placed if a in current} & gone
    result.merged, result.dissolved = len(absorbed), len(gone - absorbed)
    db.delete_incidents(conn, gone)
    db.refresh_summaries(conn, touched, reasons)
    result.updated = len(touched) - result.created
    return result


def _entity_labels(conn, linker: Linker, components: list[Component]) -> dict[int, str]:
    wanted: set[int] = set()
    for comp in components:
        for i in comp.members:
            kind, ref = linker.keys[linker.reason_key[i]]
            if kind is LinkKind.ENTITY and ref is not None:
                wanted.add(int(ref))  # type: ignore[arg-type]
    return {
        eid: f"{kind} {display(shown, 120)}"
        for eid, (kind, _key, shown) in db.entity_keys(conn, wanted).items()
    }


def _audit(conn, result: CorrelationResult) -> None:
    record(
        conn,
        current_user(),
        f"correlation.{result.mode}",
        "incidents",
        "*",
        None,
        {
            "alerts": result.alerts,
            "created": result.created,
            "updated": result.updated,
            "merged": result.merged,
            "dissolved": result.dissolved,
        },
    )
