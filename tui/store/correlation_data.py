"""What correlation reads and remembers: alert facts, entity and type statistics, bookkeeping.

Facts come back as plain tuples and id lists (the engine packs them into arrays); whole-store
reads use narrow index scans, so a million alerts are read in seconds.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import orjson

from tui.model.clock import iso

CHUNK = 900
_RESOURCE = "CASE WHEN resource_id != '' THEN resource_id ELSE lower(compromised_entity) END"
# An alert with neither resource id nor compromised entity is about its (first) host.
_HOST = (
    "CASE WHEN resource_id = '' AND compromised_entity = '' THEN (SELECT min(x.entity_id)"
    " FROM alert_entities x JOIN entities e ON e.id = x.entity_id WHERE x.alert_id = alerts.id"
    " AND e.type = 'host') END"
)
_FACTS = (
    f"SELECT id, unixepoch(start_time_utc), alert_type, {_RESOURCE}, {_HOST}, severity_rank,"
    " intent FROM alerts"
)

# id, epoch seconds, type, resource, host entity id (when no resource), severity rank, intent
Fact = tuple[int, int, str, str, int | None, int, str]


def chunked(items: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def marks(items: list) -> str:
    return ",".join("?" * len(items))


def iso_at(epoch_seconds: int) -> str:
    return iso(datetime.fromtimestamp(epoch_seconds, UTC))


# --- reading alert facts -------------------------------------------------------------------


def max_alert_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]


def alert_facts(conn: sqlite3.Connection, ids: Iterable[int] | None = None) -> Iterator[Fact]:
    """The facts correlation needs about each alert (see `Fact`), in id order."""
    if ids is None:
        yield from conn.execute(f"{_FACTS} ORDER BY id")
        return
    for chunk in chunked(ids):
        yield from conn.execute(f"{_FACTS} WHERE id IN ({marks(chunk)})", chunk)


def alert_times(conn: sqlite3.Connection) -> Iterator[tuple[int, int, int]]:
    """(id, epoch seconds, severity rank) of every alert. SQLite reads them from the narrow
    covering index alerts_severity_time; not forced, so a bulk import that dropped it for a
    while (tui/store/bulk.py) only slows this down."""
    yield from conn.execute("SELECT id, unixepoch(start_time_utc), severity_rank FROM alerts")


def alert_groups(conn: sqlite3.Connection, column: str) -> Iterator[tuple[str, list[int]]]:
    """(value, alert ids) for every alert type or non-empty resource id (index scans)."""
    if column not in ("alert_type", "resource_id"):
        raise ValueError(column)
    rows = conn.execute(
        f"SELECT {column}, group_concat(id) FROM alerts WHERE {column} != '' GROUP BY {column}"
    )
    for value, joined in rows:
        yield value, list(map(int, joined.split(",")))


def alerts_without_resource(conn: sqlite3.Connection) -> Iterator[tuple[int, str, int | None]]:
    """(id, compromised entity, first host entity id) of alerts with no Azure resource id."""
    yield from conn.execute(
        f"SELECT id, lower(compromised_entity), {_HOST} FROM alerts WHERE resource_id = ''"
    )


def alert_intents(conn: sqlite3.Connection, ids: Iterable[int]) -> Iterator[tuple[int, str]]:
    for chunk in chunked(ids):
        yield from conn.execute(
            f"SELECT id, intent FROM alerts WHERE id IN ({marks(chunk)})", chunk
        )


def alert_values(
    conn: sqlite3.Connection, ids: Iterable[int] | None = None
) -> Iterator[tuple[int, str, str]]:
    """(alert id, column, value) of non-empty correlation keys and source incident ids."""
    for column in ("correlation_key", "source_incident_id"):
        sql = f"SELECT id, '{column}', {column} FROM alerts WHERE {column} != ''"
        if ids is None:
            yield from conn.execute(sql)
            continue
        for chunk in chunked(ids):
            yield from conn.execute(f"{sql} AND id IN ({marks(chunk)})", chunk)


def entity_groups(
    conn: sqlite3.Connection, list_below: int | None = None
) -> Iterator[tuple[int, int, list[int] | None]]:
    """(entity id, alerts, alert ids) of every entity in two or more alerts.

    SQLite groups the index in C; ids are listed only for entities in fewer than `list_below`
    alerts (the others are too common to link anything), or for all when it is None.
    """
    limit = list_below if list_below is not None else 1 << 62
    rows = conn.execute(
        "SELECT entity_id, count(*) AS n, CASE WHEN count(*) < ? THEN group_concat(alert_id)"
        " END FROM alert_entities GROUP BY entity_id HAVING n >= 2",
        (limit,),
    )
    for entity_id, count, joined in rows:
        yield entity_id, count, None if joined is None else list(map(int, joined.split(",")))


def entity_links(conn: sqlite3.Connection, ids: Iterable[int]) -> list[tuple[int, int]]:
    """(entity id, alert id) of the given alerts."""
    out: list[tuple[int, int]] = []
    for chunk in chunked(ids):
        out.extend(
            conn.execute(
                "SELECT entity_id, alert_id FROM alert_entities"
                f" WHERE alert_id IN ({marks(chunk)})",
                chunk,
            )
        )
    return out


def alerts_with_value(conn: sqlite3.Connection, column: str, value: str) -> list[int]:
    if column not in ("correlation_key", "source_incident_id"):
        raise ValueError(column)
    # `!= ''` lets SQLite use the partial index on the column.
    sql = f"SELECT id FROM alerts WHERE {column} = ? AND {column} != ''"
    return [r[0] for r in conn.execute(sql, (value,))]


def entity_alerts(conn: sqlite3.Connection, entity_id: int) -> list[int]:
    """Every alert naming an entity."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT alert_id FROM alert_entities WHERE entity_id = ?", (entity_id,)
        )
    ]


def entity_alerts_between(
    conn: sqlite3.Connection, entity_id: int, low: int, high: int
) -> list[tuple[int, str]]:
    """(alert id, alert type) of the alerts naming an entity that start in [low, high] (epoch)."""
    return conn.execute(
        "SELECT a.id, a.alert_type FROM alert_entities ae JOIN alerts a ON a.id = ae.alert_id"
        " WHERE ae.entity_id = ? AND a.start_time_utc BETWEEN ? AND ?",
        (entity_id, iso_at(low), iso_at(high)),
    ).fetchall()


def type_alerts(
    conn: sqlite3.Connection, alert_type: str, low: int | None = None, high: int | None = None
) -> list[int]:
    if low is None or high is None:
        sql, args = "SELECT id FROM alerts WHERE alert_type = ?", (alert_type,)
    else:
        sql = "SELECT id FROM alerts WHERE alert_type = ? AND start_time_utc BETWEEN ? AND ?"
        args = (alert_type, iso_at(low), iso_at(high))
    return [r[0] for r in conn.execute(sql, args)]


def entity_keys(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """entity id -> (type, key, display)."""
    out = {}
    for chunk in chunked(ids):
        for eid, kind, key, display in conn.execute(
            f"SELECT id, type, key, display FROM entities WHERE id IN ({marks(chunk)})", chunk
        ):
            out[eid] = (kind, key, display)
    return out


def entities_with_keys(conn: sqlite3.Connection, keys: Iterable[str]) -> set[int]:
    """Ids of entities of any type whose normalized key is one of `keys` (the stop-list)."""
    keys = list(keys)
    found: set[int] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update(
            r[0]
            for r in conn.execute(f"SELECT id FROM entities WHERE key IN ({marks(chunk)})", chunk)
        )
    return found


def entity_keys_of_type(conn: sqlite3.Connection, kind: str) -> Iterator[tuple[int, str]]:
    """(id, key) of every entity of one type."""
    yield from conn.execute("SELECT id, key FROM entities WHERE type = ?", (kind,))


# --- specificity statistics ----------------------------------------------------------------


def entity_stats(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[int, list, bool]]:
    """entity id -> (alerts, sites, weak) for entities seen in two or more alerts."""
    out = {}
    for chunk in chunked(ids):
        for eid, alerts, sites, weak in conn.execute(
            "SELECT entity_id, alerts, sites, weak FROM correlation_entity_stats"
            f" WHERE entity_id IN ({marks(chunk)})",
            chunk,
        ):
            out[eid] = (alerts, orjson.loads(sites), bool(weak))
    return out


def save_entity_stats(
    conn: sqlite3.Connection, rows: Iterable[tuple[int, int, list, bool]]
) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO correlation_entity_stats (entity_id, alerts, sites, weak)"
        " VALUES (?, ?, ?, ?)",
        ((eid, n, orjson.dumps(sites).decode(), int(weak)) for eid, n, sites, weak in rows),
    )


def type_stats(conn: sqlite3.Connection, types: Iterable[str]) -> dict[str, tuple[int, int]]:
    """alert type -> (alerts, distinct resources)."""
    types = list(types)
    out = {}
    for start in range(0, len(types), CHUNK):
        chunk = types[start : start + CHUNK]
        for alert_type, alerts, sites in conn.execute(
            "SELECT alert_type, alerts, sites FROM correlation_type_stats"
            f" WHERE alert_type IN ({marks(chunk)})",
            chunk,
        ):
            out[alert_type] = (alerts, sites)
    return out


def save_type_stats(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, int]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO correlation_type_stats (alert_type, alerts, sites)"
        " VALUES (?, ?, ?)",
        rows,
    )


def save_type_sites(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO correlation_type_sites (alert_type, site) VALUES (?, ?)", pairs
    )


def add_type_sites(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> Counter:
    """Record (alert type, site) pairs; return how many new sites each type got."""
    added: Counter = Counter()
    for alert_type, site in pairs:
        cur = conn.execute(
            "INSERT OR IGNORE INTO correlation_type_sites (alert_type, site) VALUES (?, ?)",
            (alert_type, site),
        )
        added[alert_type] += cur.rowcount
    return added


def reset_stats(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM correlation_entity_stats")
    conn.execute("DELETE FROM correlation_type_stats")
    conn.execute("DELETE FROM correlation_type_sites")


# --- correlation bookkeeping ---------------------------------------------------------------


def _correlated_upto(conn: sqlite3.Connection) -> int:
    """Every alert up to this id was correlated by the last rebuild."""
    row = conn.execute("SELECT value FROM correlation_meta WHERE name = 'correlated_upto'")
    found = row.fetchone()
    return found[0] if found else 0


def has_correlated(conn: sqlite3.Connection) -> bool:
    return bool(
        _correlated_upto(conn) or conn.execute("SELECT 1 FROM correlated_alerts LIMIT 1").fetchone()
    )


def uncorrelated(conn: sqlite3.Connection, ids: Iterable[int]) -> list[int]:
    """The given alert ids that exist and have not been correlated yet, in order."""
    upto = _correlated_upto(conn)
    out = []
    for chunk in chunked(sorted({i for i in ids if i > upto})):
        out.extend(
            r[0]
            for r in conn.execute(
                f"SELECT a.id FROM alerts a WHERE a.id IN ({marks(chunk)}) AND NOT EXISTS"
                " (SELECT 1 FROM correlated_alerts c WHERE c.alert_id = a.id)",
                chunk,
            )
        )
    return out


def uncorrelated_ids(conn: sqlite3.Connection) -> array:
    """Ids of every alert not correlated yet (a compact array: there may be millions)."""
    rows = conn.execute(
        "SELECT id FROM alerts WHERE id > ? AND id NOT IN (SELECT alert_id FROM correlated_alerts)",
        (_correlated_upto(conn),),
    )
    return array("q", (r[0] for r in rows))


def mark_correlated(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO correlated_alerts (alert_id) VALUES (?)", ((i,) for i in ids)
    )


def mark_all_correlated(conn: sqlite3.Connection, up_to: int) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO correlation_meta (name, value) VALUES ('correlated_upto', ?)",
        (up_to,),
    )
    conn.execute("DELETE FROM correlated_alerts WHERE alert_id <= ?", (up_to,))


def dirty_alerts(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT alert_id FROM correlation_dirty")]


def clear_dirty(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM correlation_dirty")


def mark_dirty(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO correlation_dirty (alert_id) VALUES (?)", ((i,) for i in ids)
    )


def overrides(conn: sqlite3.Connection) -> tuple[dict[int, tuple[int, str]], set[int]]:
    """Analyst decisions: {alert: (incident, actor)} pinned, and the set of removed alerts."""
    pinned, removed = {}, set()
    for alert_id, incident_id, kind, actor in conn.execute(
        "SELECT alert_id, incident_id, kind, actor FROM incident_overrides"
    ):
        if kind == "removed":
            removed.add(alert_id)
        elif incident_id is not None:
            pinned[alert_id] = (incident_id, actor)
    return pinned, removed


def overrides_fingerprint(conn: sqlite3.Connection) -> tuple:
    """Changes whenever an analyst edits membership; a rebuild checks it before writing."""
    return conn.execute(
        "SELECT count(*), max(at), total(alert_id), total(incident_id) FROM incident_overrides"
    ).fetchone()
