"""Incidents in the store: membership, summaries, reads for the UI, and analyst edits.

Correlation writes membership in short transactions. Analyst edits (merge, split, add,
remove) record an `incident_overrides` row and an audit row in the same transaction, check
`incidents.version`, and mark the alerts around them dirty so the next correlation run
settles the rest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tui.model.clock import utcnow
from tui.store.audit import record
from tui.store.correlation_data import chunked, mark_dirty, marks
from tui.store.db import ConflictError, StoreError, transaction
from tui.store.incident_summary import IncidentFacts, summarize

# Where an alert happened, for titles: the compromised entity, resource, or first named host.
_PLACE = (
    "coalesce(nullif(a.compromised_entity, ''), nullif(a.resource_id, ''), (SELECT e.display"
    " FROM alert_entities x JOIN entities e ON e.id = x.entity_id WHERE x.alert_id = a.id"
    " AND e.type = 'host' ORDER BY e.id LIMIT 1), '')"
)


# --- membership ----------------------------------------------------------------------------


def memberships(
    conn: sqlite3.Connection, ids: Iterable[int] | None = None
) -> dict[int, tuple[int, str]]:
    """alert id -> (incident id, reason), for all alerts or the given ones."""
    sql = "SELECT alert_id, incident_id, reason FROM incident_alerts"
    if ids is None:
        return {a: (i, r) for a, i, r in conn.execute(sql)}
    out = {}
    for chunk in chunked(ids):
        for a, i, r in conn.execute(f"{sql} WHERE alert_id IN ({marks(chunk)})", chunk):
            out[a] = (i, r)
    return out


def incident_alert_ids(conn: sqlite3.Connection, incident_ids: Iterable[int]) -> list[int]:
    out = []
    for chunk in chunked(incident_ids):
        out.extend(
            r[0]
            for r in conn.execute(
                f"SELECT alert_id FROM incident_alerts WHERE incident_id IN ({marks(chunk)})",
                chunk,
            )
        )
    return out


def existing_incidents(conn: sqlite3.Connection, ids: Iterable[int]) -> set[int]:
    out: set[int] = set()
    for chunk in chunked(ids):
        out.update(
            r[0]
            for r in conn.execute(f"SELECT id FROM incidents WHERE id IN ({marks(chunk)})", chunk)
        )
    return out


def create_incidents(conn: sqlite3.Connection, count: int, now: str) -> list[int]:
    """New, empty incidents (refresh_summaries() writes them); ids are never reused."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(id) FROM incidents), 0), coalesce((SELECT value"
        " FROM correlation_meta WHERE name = 'last_incident_id'), 0))"
    ).fetchone()
    ids = list(range(row[0] + 1, row[0] + 1 + count))
    conn.executemany(
        "INSERT INTO incidents (id, title, severity, severity_rank, first_activity_utc,"
        " last_activity_utc, created_at, updated_at)"
        " VALUES (?, '', 'Informational', 0, ?, ?, ?, ?)",
        ((i, now, now, now, now) for i in ids),
    )
    if ids:
        conn.execute(
            "INSERT OR REPLACE INTO correlation_meta (name, value) VALUES ('last_incident_id', ?)",
            (ids[-1],),
        )
    return ids


def set_members(
    conn: sqlite3.Connection, rows: Iterable[tuple[int, int, str, str]], known: Iterable[int] = ()
) -> None:
    """(alert, incident, reason, now): join or move alerts, keeping joined_at when unmoved.

    `known` lists alerts that may already be in an incident; the others are plain inserts.
    """
    known = set(known)
    fresh, moved = [], []
    for row in rows:
        (moved if row[0] in known else fresh).append(row)
    conn.executemany(
        "INSERT INTO incident_alerts (alert_id, incident_id, reason, joined_at)"
        " VALUES (?, ?, ?, ?)",
        fresh,
    )
    conn.executemany(
        "INSERT INTO incident_alerts (alert_id, incident_id, reason, joined_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET"
        " joined_at = CASE WHEN incident_alerts.incident_id = excluded.incident_id"
        " THEN incident_alerts.joined_at ELSE excluded.joined_at END,"
        " incident_id = excluded.incident_id, reason = excluded.reason",
        moved,
    )


def drop_members(conn: sqlite3.Connection, alert_ids: Iterable[int]) -> None:
    conn.executemany("DELETE FROM incident_alerts WHERE alert_id = ?", ((a,) for a in alert_ids))


def delete_incidents(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    conn.executemany("DELETE FROM incidents WHERE id = ?", ((i,) for i in ids))


def refresh_summaries(
    conn: sqlite3.Connection, incident_ids: Iterable[int], reasons: dict[int, list[str]]
) -> None:
    """Recompute title, severity, times, stages, resources and description from the alerts.

    `reasons` replaces an incident's reasons when given for it; others keep theirs.
    """
    write_summaries(conn, _incident_facts(conn, list(incident_ids)), reasons)


def write_summaries(
    conn: sqlite3.Connection, facts: Iterable[IncidentFacts], reasons: dict[int, list[str]]
) -> None:
    """Write what each incident says about itself (see refresh_summaries)."""
    now = utcnow()
    updates = []
    for fact in facts:
        summary = summarize(fact)
        why = reasons.get(fact.incident_id)
        updates.append(
            (
                summary.title,
                summary.description,
                summary.severity.value,
                summary.severity.rank,
                fact.first,
                fact.last,
                fact.count,
                orjson.dumps(summary.stages).decode(),
                orjson.dumps(summary.resources).decode(),
                None if why is None else orjson.dumps(why).decode(),
                now,
                fact.incident_id,
            )
        )
    conn.executemany(
        "UPDATE incidents SET title = ?, description = ?, severity = ?, severity_rank = ?,"
        " first_activity_utc = ?, last_activity_utc = ?, alert_count = ?, stages = ?,"
        " resources = ?, reasons = coalesce(?, reasons), updated_at = ? WHERE id = ?",
        updates,
    )


def type_display_names(conn: sqlite3.Connection, types: Iterable[str]) -> dict[str, str]:
    """A display name of one alert of each type."""
    return {
        t: row[0]
        for t in types
        if (
            row := conn.execute(
                "SELECT alert_display_name FROM alerts WHERE alert_type = ? LIMIT 1", (t,)
            ).fetchone()
        )
    }


def _incident_facts(conn: sqlite3.Connection, ids: list[int]) -> Iterator[IncidentFacts]:
    for chunk in chunked(ids):
        holes = marks(chunk)
        places: dict[int, list[tuple[str, int]]] = {}
        for iid, place, n in conn.execute(
            f"SELECT ia.incident_id, {_PLACE} AS place, count(*)"
            " FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
            f" WHERE ia.incident_id IN ({holes}) GROUP BY ia.incident_id, place",
            chunk,
        ):
            places.setdefault(iid, []).append((place, n))
        for row in conn.execute(
            "SELECT ia.incident_id, count(*), min(a.start_time_utc),"
            " max(a.start_time_utc), max(a.severity_rank),"
            " group_concat(DISTINCT a.intent), group_concat(DISTINCT a.resource_id),"
            " count(DISTINCT a.alert_display_name), min(a.alert_display_name)"
            " FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
            f" WHERE ia.incident_id IN ({holes}) GROUP BY ia.incident_id",
            chunk,
        ):
            iid, count, first, last, rank, intents, resources, kinds, name = row
            yield IncidentFacts(
                incident_id=iid,
                count=count,
                first=first,
                last=last,
                severity_rank=rank,
                intents=_split(intents),
                resources=_split(resources),
                distinct_titles=kinds,
                first_title=name or "",
                places=sorted(places.get(iid, []), key=lambda p: (-p[1], p[0])),
            )


def _split(joined: str | None) -> list[str]:
    return sorted({p for part in (joined or "").split(",") if (p := part.strip())})


def _reasons(conn: sqlite3.Connection, incident_id: int) -> list[str]:
    row = conn.execute("SELECT reasons FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return orjson.loads(row[0]) if row else []


# --- reading incidents (UI, reports) -------------------------------------------------------

_INCIDENT_COLUMNS = (
    "id, title, description, severity, severity_rank, first_activity_utc, last_activity_utc,"
    " alert_count, stages, resources, reasons, status, owner, classification,"
    " classification_comment, version, created_at, updated_at"
)
_JSON_COLUMNS = ("stages", "resources", "reasons")


def get_incident(conn: sqlite3.Connection, incident_id: int) -> dict[str, Any] | None:
    cur = conn.execute(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    for name in _JSON_COLUMNS:
        out[name] = orjson.loads(out[name])
    return out


def alerts_of_incident(conn: sqlite3.Connection, incident_id: int) -> list[dict[str, Any]]:
    """The incident's alerts in time order, each with the reason it joined."""
    cur = conn.execute(
        "SELECT a.id, a.alert_display_name, a.alert_type, a.severity, a.start_time_utc,"
        " a.compromised_entity, a.intent, a.status, ia.reason, ia.joined_at"
        " FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
        " WHERE ia.incident_id = ? ORDER BY a.start_time_utc, a.id",
        (incident_id,),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def incident_of_alert(conn: sqlite3.Connection, alert_id: int) -> int | None:
    row = conn.execute(
        "SELECT incident_id FROM incident_alerts WHERE alert_id = ?", (alert_id,)
    ).fetchone()
    return row[0] if row else None


def related_alerts(
    conn: sqlite3.Connection, alert_id: int, limit: int = 200
) -> list[dict[str, Any]]:
    """Other alerts sharing a strong entity with this one (weak, common entities excluded)."""
    cur = conn.execute(
        "SELECT other.alert_id AS id, e.type AS entity_type, e.display AS entity,"
        " a.alert_display_name, a.severity, a.start_time_utc, a.status"
        " FROM alert_entities mine"
        " JOIN entities e ON e.id = mine.entity_id"
        " JOIN alert_entities other ON other.entity_id = mine.entity_id"
        "   AND other.alert_id != mine.alert_id"
        " JOIN alerts a ON a.id = other.alert_id"
        " WHERE mine.alert_id = ? AND NOT EXISTS (SELECT 1 FROM correlation_entity_stats s"
        "   WHERE s.entity_id = mine.entity_id AND s.weak)"
        " ORDER BY a.start_time_utc DESC, a.id DESC LIMIT ?",
        (alert_id, limit),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def incident_by_source_id(conn: sqlite3.Connection) -> Iterator[tuple[str, int | None]]:
    """(source id, incident id or None) of every alert: scoring against a ground truth."""
    yield from conn.execute(
        "SELECT a.source_id, ia.incident_id FROM alerts a"
        " LEFT JOIN incident_alerts ia ON ia.alert_id = a.id"
    )


def source_ids(conn: sqlite3.Connection) -> Iterator[tuple[int, str]]:
    """(alert id, source id) of every alert."""
    yield from conn.execute("SELECT id, source_id FROM alerts")


def forget_correlation(conn: sqlite3.Connection) -> None:
    """Drop every incident and correlation state (benchmarks; refused after analyst edits)."""
    with transaction(conn):
        if conn.execute("SELECT 1 FROM incident_overrides LIMIT 1").fetchone():
            raise StoreError("analysts have edited incidents here: use a rebuild instead")
        conn.execute("DELETE FROM correlation_meta WHERE name = 'correlated_upto'")
        for table in (
            "incident_alerts",
            "incidents",
            "correlated_alerts",
            "correlation_entity_stats",
            "correlation_type_stats",
            "correlation_type_sites",
            "correlation_dirty",
        ):
            conn.execute(f"DELETE FROM {table}")


# --- analyst edits -------------------------------------------------------------------------


def _check_version(conn: sqlite3.Connection, incident_id: int, expected: int) -> dict:
    row = conn.execute(
        "SELECT version, updated_at FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    if row is None:
        raise StoreError(f"incident {incident_id} does not exist (merged or dissolved?)")
    if row[0] != expected:
        who = conn.execute(
            "SELECT actor, action FROM audit_log WHERE target_type = 'incident'"
            " AND target_id = ? ORDER BY id DESC LIMIT 1",
            (str(incident_id),),
        ).fetchone()
        change = f"{who[0]} ({who[1]})" if who else "correlation"
        raise ConflictError(
            f"incident {incident_id} was changed by {change} since you opened it"
            f" (version {expected} -> {row[0]}); reload and try again"
        )
    return {"version": row[0]}


def _bump(conn: sqlite3.Connection, incident_id: int, now: str) -> int:
    conn.execute(
        "UPDATE incidents SET version = version + 1, updated_at = ? WHERE id = ?",
        (now, incident_id),
    )
    return conn.execute("SELECT version FROM incidents WHERE id = ?", (incident_id,)).fetchone()[0]


def _pin(conn: sqlite3.Connection, alert_ids: Iterable[int], incident_id: int, actor: str) -> None:
    now = utcnow()
    ids = list(alert_ids)
    conn.executemany(
        "DELETE FROM incident_overrides WHERE alert_id = ? AND kind = 'removed'",
        ((a,) for a in ids),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO incident_overrides (alert_id, incident_id, kind, actor, at)"
        " VALUES (?, ?, 'pinned', ?, ?)",
        ((a, incident_id, actor, now) for a in ids),
    )


def _add_reason(conn: sqlite3.Connection, incident_id: int, text: str) -> None:
    reasons = _reasons(conn, incident_id)
    reasons.append(text)
    conn.execute(
        "UPDATE incidents SET reasons = ? WHERE id = ?",
        (orjson.dumps(reasons).decode(), incident_id),
    )


def merge(
    conn: sqlite3.Connection,
    target: int,
    others: Iterable[int],
    versions: dict[int, int],
    actor: str,
) -> int:
    """Merge incidents into `target`; every alert is pinned there. Return target's version."""
    others = [o for o in dict.fromkeys(others) if o != target]
    if not others:
        raise StoreError(f"merge into incident {target}: name at least one other incident")
    now = utcnow()
    with transaction(conn):
        for iid in (target, *others):
            _check_version(conn, iid, versions.get(iid, -1))
        members = incident_alert_ids(conn, [target, *others])
        moved = incident_alert_ids(conn, others)
        _pin(conn, members, target, actor)
        set_members(conn, [(a, target, f"Merged in by {actor}", now) for a in moved], moved)
        conn.executemany(
            "UPDATE comments SET target_id = ? WHERE target_type = 'incident' AND target_id = ?",
            ((target, o) for o in others),
        )
        conn.executemany(
            "UPDATE incident_overrides SET incident_id = ? WHERE incident_id = ?",
            ((target, o) for o in others),
        )
        delete_incidents(conn, others)
        _add_reason(conn, target, f"Incidents {', '.join(map(str, others))} merged by {actor}")
        refresh_summaries(conn, [target], {})
        version = _bump(conn, target, now)
        record(
            conn,
            actor,
            "incident.merge",
            "incident",
            target,
            {"merged": others},
            {"alerts": len(members), "version": version},
        )
    return version


def split(
    conn: sqlite3.Connection, incident_id: int, alert_ids: Iterable[int], version: int, actor: str
) -> int:
    """Move some alerts of an incident into a new incident; both sides stay as split."""
    wanted = set(alert_ids)
    now = utcnow()
    with transaction(conn):
        _check_version(conn, incident_id, version)
        members = set(incident_alert_ids(conn, [incident_id]))
        if not wanted or not wanted < members:
            raise StoreError(
                f"split incident {incident_id}: choose some, not all, of its alerts"
                f" (not in it: {sorted(wanted - members)[:5]})"
            )
        (new_id,) = create_incidents(conn, 1, now)
        for key in ("status", "owner"):
            conn.execute(
                f"UPDATE incidents SET {key} = (SELECT {key} FROM incidents WHERE id = ?)"
                " WHERE id = ?",
                (incident_id, new_id),
            )
        _pin(conn, members - wanted, incident_id, actor)
        _pin(conn, wanted, new_id, actor)
        set_members(conn, [(a, new_id, f"Split off by {actor}", now) for a in wanted], wanted)
        _add_reason(conn, new_id, f"Split from incident {incident_id} by {actor}")
        _add_reason(conn, incident_id, f"Incident {new_id} split off by {actor}")
        refresh_summaries(conn, [incident_id, new_id], {})
        _bump(conn, incident_id, now)
        record(
            conn,
            actor,
            "incident.split",
            "incident",
            incident_id,
            {"alerts": sorted(members)},
            {"new_incident": new_id, "moved": sorted(wanted)},
        )
    return new_id


def add_alert(
    conn: sqlite3.Connection, incident_id: int, alert_id: int, version: int, actor: str
) -> int:
    """Put an alert into an incident (taking it out of any other). Return the new version."""
    now = utcnow()
    with transaction(conn):
        _check_version(conn, incident_id, version)
        if conn.execute("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)).fetchone() is None:
            raise StoreError(f"alert {alert_id} does not exist")
        before = incident_of_alert(conn, alert_id)
        if before == incident_id:
            raise StoreError(f"alert {alert_id} is already in incident {incident_id}")
        members = incident_alert_ids(conn, [incident_id])
        _pin(conn, [*members, alert_id], incident_id, actor)
        set_members(conn, [(alert_id, incident_id, f"Added by {actor}", now)], [alert_id])
        if before is not None:
            mark_dirty(conn, incident_alert_ids(conn, [before]))
        refresh_summaries(conn, [i for i in (incident_id, before) if i is not None], {})
        new_version = _bump(conn, incident_id, now)
        record(
            conn,
            actor,
            "incident.add_alert",
            "incident",
            incident_id,
            {"alert": alert_id, "from_incident": before},
            {"version": new_version},
        )
    return new_version


def remove_alert(
    conn: sqlite3.Connection, incident_id: int, alert_id: int, version: int, actor: str
) -> int:
    """Take an alert out of an incident for good: correlation never puts it back."""
    now = utcnow()
    with transaction(conn):
        _check_version(conn, incident_id, version)
        if incident_of_alert(conn, alert_id) != incident_id:
            raise StoreError(f"alert {alert_id} is not in incident {incident_id}")
        conn.execute(
            "DELETE FROM incident_overrides WHERE alert_id = ? AND kind = 'pinned'", (alert_id,)
        )
        conn.execute(
            "INSERT OR REPLACE INTO incident_overrides (alert_id, incident_id, kind, actor, at)"
            " VALUES (?, ?, 'removed', ?, ?)",
            (alert_id, incident_id, actor, now),
        )
        drop_members(conn, [alert_id])
        mark_dirty(conn, incident_alert_ids(conn, [incident_id]))
        refresh_summaries(conn, [incident_id], {})
        new_version = _bump(conn, incident_id, now)
        record(
            conn,
            actor,
            "incident.remove_alert",
            "incident",
            incident_id,
            {"alert": alert_id},
            {"version": new_version},
        )
    return new_version
