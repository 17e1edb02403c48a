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

from tui.config import current_user
from tui.engine.correlation_apply import CorrelationResult, apply
from tui.engine.correlation_links import EXCLUDED, FREE, Linker, LinkKind, Scope
from tui.engine.correlation_scope import Graph
from tui.engine.correlation_settings import CorrelationSettings
from tui.model.alert import PLACEHOLDERS
from tui.store import Store, StoreError, transaction
from tui.store import correlation_data as cdb
from tui.store import incidents as db
from tui.store.audit import record

__all__ = ["CorrelationResult", "correlate_new", "is_local_account", "rebuild"]

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
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_local_account(key: str) -> bool:
    """An account named without domain, UPN, SID or directory id ("admin", "root").

    Such a name is local to a machine: the same name elsewhere is another account, and on its
    own machine the host already links the alerts. So it is never evidence.
    """
    return not ("@" in key or "\\" in key or key.startswith("s-1-") or _GUID.fullmatch(key))


def _is_stopped(kind: str, key: str, s: CorrelationSettings) -> bool:
    return key in STOP_KEYS or key in s.stop_list or (kind == "account" and is_local_account(key))


def _settings(settings: CorrelationSettings | None) -> CorrelationSettings:
    return settings or CorrelationSettings()


def _link_values(graph: Graph, linker: Linker) -> None:
    for key, members in graph.values.items():
        linker.link(key, members, None, None, 1)


def _link_types(
    graph: Graph, linker: Linker, strong: Callable[[str], bool], s: CorrelationSettings
) -> None:
    """One alert type on several resources, among alerts no other rule has linked.

    Runs last: an alert already explained by its own incident is not regrouped by its type.
    """
    scope = graph.scope
    wanted = {code for name, code in graph.type_codes.items() if strong(name)}
    if not wanted:
        return
    members: dict[int, list[int]] = {}
    linked = linker.reason_key
    for i, code in enumerate(scope.kind):
        if code in wanted and scope.state[i] == FREE and not linked[i]:
            members.setdefault(code, []).append(i)
    for code, group in members.items():
        linker.link(
            (LinkKind.ALERT_TYPE, graph.type_names[code]),
            group,
            s.type_window_seconds,
            scope.site,
            s.type_min_resources,
        )


def _is_weak(count: int, sites: set[str] | list[str], stop: bool, s: CorrelationSettings) -> bool:
    return stop or count >= s.max_alerts or len(sites) >= s.max_sites


def _type_strong(stats: tuple[int, int], s: CorrelationSettings) -> bool:
    count, sites = stats
    return (
        2 <= count < s.max_alerts
        and sites < s.type_max_sites
        and count <= s.routine_repeats * sites
    )


def _routine(stats: tuple[int, int], s: CorrelationSettings) -> bool:
    count, sites = stats
    return count >= s.routine_min_alerts and count > s.routine_repeats * sites


def _quiet_types(graph: Graph, stats: dict[str, tuple[int, int]], s) -> set[int]:
    return {code for name, code in graph.type_codes.items() if _routine(stats.get(name, (0, 0)), s)}


def _stop_ids(conn, s: CorrelationSettings) -> set[int]:
    stopped = cdb.entities_with_keys(conn, STOP_KEYS | set(s.stop_list))
    stopped.update(
        eid for eid, key in cdb.entity_keys_of_type(conn, "account") if is_local_account(key)
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
        fingerprint = cdb.overrides_fingerprint(conn)
        top = cdb.max_alert_id(conn)
        size = top + 1
        graph = Graph(size, lambda a: a if a < size else None, None)
        graph.load(conn)
        linker = Linker(graph.scope)
        types = _all_type_stats(graph)
        linker.quiet = _quiet_types(graph, {t: (n, len(x)) for t, (n, x) in types.items()}, s)
        stats = _link_all_entities(conn, graph, linker, _stop_ids(conn, s), s)
        _link_values(graph, linker)
        _link_types(graph, linker, lambda t: _type_strong((types[t][0], len(types[t][1])), s), s)
        components = linker.components(range(size))
    finally:
        conn.execute("COMMIT")
    with transaction(conn):
        if cdb.overrides_fingerprint(conn) != fingerprint:
            raise StoreError("an analyst changed incidents during the rebuild: run it again")
        cdb.reset_stats(conn)
        cdb.save_entity_stats(conn, stats)
        cdb.save_type_stats(conn, ((t, n, len(sites)) for t, (n, sites) in types.items()))
        cdb.save_type_sites(conn, ((t, x) for t, (_n, sites) in types.items() for x in sites))
        result = apply(conn, graph, linker, components, None, "rebuild")
        cdb.mark_all_correlated(conn, top)
        cdb.clear_dirty(conn)
        result.alerts = size - graph.scope.state.count(EXCLUDED)
        result.seconds = time.perf_counter() - started
        _audit(conn, result)
    return result


def _all_type_stats(graph: Graph) -> dict[str, tuple[int, set[str]]]:
    """Alerts and distinct sites of every alert type."""
    scope = graph.scope
    counts = Counter(scope.kind)
    sites: dict[int, list[int]] = {}
    for code, site in set(zip(scope.kind, scope.site, strict=True)):
        if site:
            sites.setdefault(code, []).append(site)
    return {
        graph.type_names[code]: (n, set(map(graph.site_name, sites.get(code, []))))
        for code, n in counts.items()
        if code
    }


def _link_all_entities(conn, graph: Graph, linker: Linker, stop: set[int], s) -> list[tuple]:
    """Link by every strong entity; return the specificity stats of entities in 2+ alerts."""
    stats = []
    window, kinds = s.window_seconds, graph.scope.kind
    for entity_id, count, alert_ids in cdb.entity_groups(conn, s.max_alerts):
        if alert_ids is None:  # too common: weak whatever else is true
            stats.append((entity_id, count, [], True))
            continue
        sites = graph.sites(alert_ids, s.max_sites)
        weak = _is_weak(count, sites, entity_id in stop, s)
        stats.append((entity_id, count, sorted(sites), weak))
        if not weak:
            linker.link((LinkKind.ENTITY, entity_id), alert_ids, window, kinds, 2)
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
    asked = alert_ids if isinstance(alert_ids, list | array) else list(alert_ids)
    if len(asked) > s.incremental_limit:
        return rebuild(store, s)  # a big import: recomputing everything is faster
    fresh = cdb.uncorrelated(conn, asked)
    if fresh and not cdb.has_correlated(conn):
        return rebuild(store, s)
    with transaction(conn):
        dirty = cdb.dirty_alerts(conn)
        if not fresh and not dirty:
            return CorrelationResult("incremental", 0)
        region = _region(conn, fresh, dirty, s)
        members = db.memberships(conn, region)
        region.update(db.incident_alert_ids(conn, {inc for inc, _r in members.values()}))
        graph = Graph.of_ids(region)
        graph.load(conn)
        ids = graph.ids
        linker = Linker(graph.scope)
        types = cdb.type_stats(conn, graph.type_names[1:])
        linker.quiet = _quiet_types(graph, types, s)
        _link_region_entities(conn, graph, linker, s)
        _link_values(graph, linker)
        _link_types(graph, linker, lambda t: _type_strong(types.get(t, (0, 0)), s), s)
        components = linker.components(range(len(ids)))
        result = apply(conn, graph, linker, components, ids, "incremental")
        cdb.mark_correlated(conn, fresh)
        cdb.clear_dirty(conn)
        result.alerts = len(ids)
        result.seconds = time.perf_counter() - started
    return result


def _region(conn, fresh: list[int], dirty: list[int], s: CorrelationSettings) -> set[int]:
    """The alerts whose links the batch can change; updates entity and type statistics."""
    region = set(fresh) | set(dirty)
    batch = Graph.of_ids(fresh)
    batch.load(conn)
    quiet = _update_types(conn, batch, region, s)
    by_entity: dict[int, list[int]] = {}
    for entity_id, alert_id in cdb.entity_links(conn, fresh):
        by_entity.setdefault(entity_id, []).append(batch.index(alert_id))
    region |= _entity_neighbours(conn, batch, by_entity, quiet, s)
    for (kind, value), _members in batch.values.items():
        column = "correlation_key" if kind is LinkKind.CORRELATION_KEY else "source_incident_id"
        region.update(cdb.alerts_with_value(conn, column, value))
    return region


def _update_types(conn, batch: Graph, region: set[int], s: CorrelationSettings) -> set[int]:
    """Update type statistics; add type neighbours to the region; return routine type codes."""
    scope = batch.scope
    type_members: dict[str, list[int]] = {}
    for i, code in enumerate(scope.kind):
        type_members.setdefault(batch.type_names[code], []).append(i)
    before = cdb.type_stats(conn, type_members)
    pairs = {
        (batch.type_names[scope.kind[i]], batch.site_name(scope.site[i]))
        for i in range(len(scope))
        if scope.site[i]
    }
    added = cdb.add_type_sites(conn, sorted(pairs))
    after = {}
    for alert_type, members in type_members.items():
        count, sites = before.get(alert_type, (0, 0))
        after[alert_type] = (count + len(members), sites + added[alert_type])
    cdb.save_type_stats(conn, ((t, n, sites) for t, (n, sites) in after.items()))
    for alert_type, members in type_members.items():
        strong, old = _type_strong(after[alert_type], s), before.get(alert_type, (0, 0))
        if strong != _type_strong(old, s) or _routine(after[alert_type], s) != _routine(old, s):
            region.update(cdb.type_alerts(conn, alert_type))  # every link of the type changes
        elif strong:
            low, high = _span(scope, members, s.type_window_seconds)
            region.update(cdb.type_alerts(conn, alert_type, low, high))
    return {batch.type_codes[t] for t, stats in after.items() if _routine(stats, s)}


def _span(scope: Scope, members: list[int], window: int) -> tuple[int, int]:
    times = [scope.time[i] for i in members]
    return min(times) - window, max(times) + window


def _entity_neighbours(
    conn, batch: Graph, by_entity: dict[int, list[int]], quiet: set[int], s: CorrelationSettings
) -> set[int]:
    """Update the batch's entity statistics; return the alerts near it on strong entities."""
    found: set[int] = set()
    old = cdb.entity_stats(conn, by_entity)
    keys = cdb.entity_keys(conn, [e for e in by_entity if e not in old or not old[e][2]])
    unseen = {e: cdb.entity_alerts(conn, e) for e in by_entity if e not in old}
    unseen = {e: alerts for e, alerts in unseen.items() if len(alerts) > 1}
    known = Graph.of_ids({a for alerts in unseen.values() for a in alerts})
    known.load(conn)
    rows = []
    for entity_id, members in by_entity.items():
        previous = old.get(entity_id)
        if previous is not None and previous[2]:
            rows.append((entity_id, previous[0] + len(members), previous[1], True))
            continue  # weak stays weak: counts only grow
        if previous is None:
            everyone = unseen.get(entity_id, ())
            count = len(everyone)
            if count < 2:
                continue  # in one alert only: it links nothing
            sites = known.sites(map(known.index, everyone), s.max_sites)
            found.update(everyone)  # never linked before: all its alerts may link now
        else:
            count = previous[0] + len(members)
            sites = batch.sites(members, s.max_sites, previous[1])
        kind, key, _shown = keys.get(entity_id, ("", "", ""))
        weak = _is_weak(count, sites, _is_stopped(kind, key, s), s)
        if count >= 2:
            rows.append((entity_id, count, sorted(sites)[: s.max_sites], weak))
        if weak and previous is not None:
            found.update(cdb.entity_alerts(conn, entity_id))  # its links are gone
        elif not weak and (linking := [i for i in members if batch.scope.kind[i] not in quiet]):
            low, high = _span(batch.scope, linking, s.window_seconds)
            near = cdb.entity_alerts_between(conn, entity_id, low, high)
            if len({alert_type for _a, alert_type in near}) > 1:
                found.update(a for a, _t in near)  # else one detection repeating: no link
    cdb.save_entity_stats(conn, rows)
    return found


def _link_region_entities(conn, graph: Graph, linker: Linker, s: CorrelationSettings) -> None:
    groups: dict[int, list[int]] = {}
    for entity_id, alert_id in cdb.entity_links(conn, graph.ids):
        groups.setdefault(entity_id, []).append(graph.index(alert_id))
    shared = [e for e, members in groups.items() if len(members) > 1]
    stats = cdb.entity_stats(conn, shared)
    for entity_id in shared:
        known = stats.get(entity_id)
        if known is not None and not known[2]:
            linker.link(
                (LinkKind.ENTITY, entity_id),
                groups[entity_id],
                s.window_seconds,
                graph.scope.kind,
                2,
            )


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
