"""The resource inventory: Azure resources with their tags, keyed by lower-cased resource id.

Alerts carry the lower-cased id in `alerts.resource_id`, so tags join alerts on that column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson

_COLUMNS = ("id", "name", "type", "location", "resource_group", "subscription_id", "tags")
_UPSERT_SQL = (
    f"INSERT INTO resources ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
)
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


@dataclass(frozen=True, slots=True)
class Resource:
    """One inventory row. `id` is the lower-cased Azure resource id."""

    id: str
    name: str = ""
    type: str = ""
    location: str = ""
    resource_group: str = ""
    subscription_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def row(self) -> tuple[str, ...]:
        return (
            self.id,
            self.name,
            self.type,
            self.location,
            self.resource_group,
            self.subscription_id,
            _dumps_tags(self.tags),
        )


@dataclass
class ResourceCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


def _dumps_tags(tags: dict[str, str]) -> str:
    return orjson.dumps(tags, option=orjson.OPT_SORT_KEYS).decode()


def upsert_resources(conn: sqlite3.Connection, resources: Sequence[Resource]) -> ResourceCounts:
    """Insert new resources and refresh changed ones. Call inside a write transaction."""
    if not conn.in_transaction:
        raise RuntimeError("upsert_resources must run inside a write transaction")
    counts = ResourceCounts()
    rows = [r.row() for r in resources]
    existing = _existing_rows(conn, [row[0] for row in rows])
    changed = []
    for row in rows:
        before = existing.get(row[0])
        if before == row:
            counts.unchanged += 1
            continue
        if before is None:
            counts.new += 1
        else:
            counts.updated += 1
        existing[row[0]] = row  # a later duplicate in the same batch compares to this one
        changed.append(row)
    conn.executemany(_UPSERT_SQL, changed)
    return counts


def _existing_rows(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM resources WHERE id IN ({marks})", chunk
        ):
            found[row[0]] = tuple(row)
    return found


def _resource(row: tuple) -> Resource:
    return Resource(*row[:6], tags=orjson.loads(row[6]))


def get_resource(conn: sqlite3.Connection, resource_id: str) -> Resource | None:
    """The inventory row of `resource_id` (any case), or None when the inventory lacks it."""
    row = conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM resources WHERE id = ?", (resource_id.lower(),)
    ).fetchone()
    return _resource(row) if row else None


def resource_tags(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Tags of each known resource among `ids`, keyed by lower-cased id; unknown ids are absent."""
    wanted = list(dict.fromkeys(i.lower() for i in ids if i))
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, text in conn.execute(
            f"SELECT id, tags FROM resources WHERE id IN ({marks})", chunk
        ):
            tags[rid] = orjson.loads(text)
    return tags


def count_resources(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM resources").fetchone()[0]
