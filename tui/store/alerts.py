"""Writing alerts: batched upsert that keeps analyst triage, plus entities, techniques and FTS."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, Protocol

import orjson

from tui.model import Alert, EntityType, Intent, Severity, Status
from tui.model.clock import utcnow
from tui.store.db import transaction
from tui.store.suppression import OPEN_STATUSES

# Source fields a newer version of an alert may change. Triage columns (status, owner,
# classification, comments, suppressed_by_rule, version) are never in this list.
SOURCE_COLUMNS = (
    "source_format",
    "system_alert_id",
    "alert_type",
    "alert_display_name",
    "description",
    "severity",
    "severity_rank",
    "intent",
    "start_time_utc",
    "end_time_utc",
    "time_generated_utc",
    "processing_end_time_utc",
    "compromised_entity",
    "resource_id",
    "remediation_steps",
    "extended_properties",
    "extended_links",
    "supporting_evidence",
    "resource_identifiers",
    "correlation_key",
    "is_incident",
    "product_name",
    "vendor_name",
    "product_component_name",
    "alert_uri",
    "techniques",
    "source_incident_id",
    "is_simulated",
    "source_status",
    "raw",
    "content_hash",
)
_INSERT_COLUMNS = (
    "id",
    "source_id",
    *SOURCE_COLUMNS,
    "imported_at",
    "status",
    "updated_at",
    "suppressed_by_rule",
    "classification",
    "classification_comment",
)
_INSERT_SQL = (
    f"INSERT INTO alerts ({', '.join(_INSERT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)
_UPDATE_SQL = (
    f"UPDATE alerts SET {', '.join(f'{c} = ?' for c in SOURCE_COLUMNS)}, updated_at = ?"
    " WHERE id = ?"
)


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] | None = None
    dismissed: dict[int, list[int]] = field(default_factory=dict)  # rule id -> new alert ids
    entity_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # looked up here


class EntityIds:
    """Ids of entities an import has already written or looked up: the same hosts, IPs and
    accounts recur in most alerts, and each skipped lookup is an index probe saved.

    Only ids from committed transactions are kept (`keep` is called after the commit): entity
    rows are never updated or deleted, so a committed id stays right for ever."""

    LIMIT = 100_000  # entries; cleared when full, so memory stays bounded

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}

    def get(self, key: tuple[str, str]) -> int | None:
        return self._ids.get(key)

    def keep(self, committed: dict[tuple[str, str], int]) -> None:
        if len(self._ids) + len(committed) > self.LIMIT:
            self._ids.clear()
        self._ids.update(committed)


def _dumps(value: object) -> str:
    return orjson.dumps(value, default=str).decode()


def content_hash(raw: str) -> str:
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# Enum member -> its value: `.value` is a Python-level property, a few of them per alert.
_VALUE: dict[StrEnum, str] = {
    member: member.value for kind in (EntityType, Intent, Severity, Status) for member in kind
}


def _source_values(alert: Alert, digest: str, techniques: tuple[str, ...]) -> tuple:
    return (
        alert.source_format,
        alert.system_alert_id,
        alert.alert_type,
        alert.alert_display_name,
        alert.description,
        _VALUE[alert.severity],
        alert.severity.rank,
        ",".join([_VALUE[i] for i in alert.intent]),
        alert.start_time_utc,
        alert.end_time_utc,
        alert.time_generated_utc,
        alert.processing_end_time_utc,
        alert.compromised_entity,
        alert.resource_id,
        _dumps(alert.remediation_steps),
        _dumps(alert.extended_properties),
        _dumps(alert.extended_links),
        _dumps(alert.supporting_evidence),
        _dumps(alert.resource_identifiers),
        alert.correlation_key,
        int(alert.is_incident),
        alert.product_name,
        alert.vendor_name,
        alert.product_component_name,
        alert.alert_uri,
        ",".join(techniques),
        alert.source_incident_id,
        int(alert.is_simulated),
        _VALUE[alert.status],
        alert.raw,
        digest,
    )


class PreparedAlert(NamedTuple):
    """An alert as the rows it becomes: plain tuples, cheap to send between processes."""

    source_id: str
    digest: str
    values: tuple  # SOURCE_COLUMNS, in order
    status: str
    entities: tuple[tuple[str, str, str, str], ...]  # (type, key, display, data JSON)
    techniques: tuple[str, ...]
    search: tuple[str, str, str]  # FTS title, description, entities

    @property
    def alert_type(self) -> str:
        return self.values[_ALERT_TYPE]

    @property
    def raw(self) -> str:
        return self.values[_RAW]


_ALERT_TYPE = SOURCE_COLUMNS.index("alert_type")
_RAW = SOURCE_COLUMNS.index("raw")


def prepare(alert: Alert) -> PreparedAlert:
    digest = content_hash(alert.raw)
    keyed = {}
    for e in alert.entities:
        if e.key is not None:
            keyed.setdefault((_VALUE[e.type], e.key), (e.display, e.data))
    entities = tuple([(t, k, d, _dumps(data)) for (t, k), (d, data) in keyed.items()])
    techniques = tuple(dict.fromkeys((*alert.techniques, *alert.sub_techniques)))
    return PreparedAlert(
        alert.source_id,
        digest,
        _source_values(alert, digest, techniques),
        _VALUE[alert.status],
        entities,
        techniques,
        (alert.alert_display_name, alert.description, " ".join([e[2] for e in entities])),
    )


class Dismissal(NamedTuple):
    """How a new alert arrives dismissed: the rule that took it and the verdict it records."""

    rule_id: int
    classification: str
    comment: str


Verdict = Callable[[PreparedAlert], Dismissal | None]


class Screen(Protocol):
    """Decides which new alerts arrive dismissed (suppression rules live in the engine layer).

    Both calls run inside the write transaction that stores the alerts, so a rule saved while
    an import runs applies from the next batch on, and an alert is never stored open and then
    rewritten as dismissed."""

    def begin(self, conn: sqlite3.Connection) -> Verdict | None:
        """The verdict for each new open alert of this batch; None when no rule is active."""

    def record(self, conn: sqlite3.Connection, dismissed: dict[int, list[int]]) -> None:
        """Account for what the batch dismissed (rule id -> alert ids): hits and audit."""


_OPEN = frozenset(OPEN_STATUSES)


def upsert_alerts(
    conn: sqlite3.Connection, alerts: Sequence[Alert], screen: Screen | None = None
) -> UpsertResult:
    """Insert new alerts and refresh changed ones in one short transaction.

    A re-imported alert whose raw record is unchanged is left alone; a changed one gets its
    source fields, entities, techniques and search text refreshed, never its triage.
    """
    if not alerts:
        return UpsertResult(new_ids=[])
    with transaction(conn):
        return write_prepared(conn, [prepare(a) for a in alerts], screen)


def write_prepared(
    conn: sqlite3.Connection,
    alerts: Sequence[PreparedAlert],
    screen: Screen | None = None,
    known: EntityIds | None = None,
) -> UpsertResult:
    """Upsert prepared alerts inside the caller's write transaction (the import adds its
    quarantine rows and counters to the same transaction, and prepares alerts in workers).
    New open alerts that `screen` dismisses are stored dismissed. Entity ids in `known` are
    used without a lookup; the ones looked up are in the result's `entity_ids`."""
    latest = list({a.source_id: a for a in alerts}.values())  # a repeated id: the last copy
    result = UpsertResult(unchanged=len(alerts) - len(latest), new_ids=[])
    alerts = latest
    now = utcnow()
    verdict = screen.begin(conn) if screen is not None else None
    existing = _existing(conn, [a.source_id for a in alerts])
    # The caller holds the write lock, so ids can be assigned here rather than read back.
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM alerts").fetchone()[0]
    inserts, updates, touched, ids = [], [], [], {}
    for alert in alerts:
        found = existing.get(alert.source_id)
        if found is None:
            status, rule_id, classification, note = _arrival(
                alert, verdict, next_id, result.dismissed
            )
            inserts.append(
                (
                    next_id,
                    alert.source_id,
                    *alert.values,
                    now,
                    status,
                    now,
                    rule_id,
                    classification,
                    note,
                )
            )
            ids[alert.source_id] = next_id
            result.new_ids.append(next_id)
            touched.append(alert)
            next_id += 1
        elif found[1] == alert.digest:
            result.unchanged += 1
        else:
            updates.append((*alert.values, now, found[0]))
            ids[alert.source_id] = found[0]
            touched.append(alert)
            result.updated += 1
    result.new = len(result.new_ids)
    conn.executemany(_INSERT_SQL, inserts)
    conn.executemany(_UPDATE_SQL, updates)
    updated_ids = [(row[-1],) for row in updates]
    if updated_ids:
        conn.executemany("DELETE FROM alert_entities WHERE alert_id = ?", updated_ids)
        conn.executemany("DELETE FROM alert_techniques WHERE alert_id = ?", updated_ids)
        conn.executemany("DELETE FROM alerts_fts WHERE rowid = ?", updated_ids)
    result.entity_ids = _write_children(conn, touched, ids, known or EntityIds())
    if result.dismissed:
        screen.record(conn, result.dismissed)
    return result


def _arrival(
    alert: PreparedAlert, verdict: Verdict | None, alert_id: int, dismissed: dict[int, list[int]]
) -> tuple[str, int | None, str, str]:
    """(status, suppressed_by_rule, classification, comment) a new alert is stored with.
    Only open alerts are screened: a closed one carries the source's verdict."""
    if verdict is not None and alert.status in _OPEN:
        taken = verdict(alert)
        if taken is not None:
            dismissed.setdefault(taken.rule_id, []).append(alert_id)
            return ("Dismissed", *taken)
    return (alert.status, None, "", "")


def _existing(conn: sqlite3.Connection, source_ids: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(source_ids, 500):
        marks = ",".join("?" * len(chunk))
        for sid, aid, digest in conn.execute(
            f"SELECT source_id, id, content_hash FROM alerts WHERE source_id IN ({marks})", chunk
        ):
            found[sid] = (aid, digest)
    return found


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_children(
    conn: sqlite3.Connection, alerts: list[PreparedAlert], ids: dict[str, int], known: EntityIds
) -> dict[tuple[str, str], int]:
    """Entities, links, techniques and search rows; return the entity ids looked up."""
    entity_ids, unknown = {}, {}
    for alert in alerts:
        for row in alert.entities:
            key = row[:2]
            if key not in entity_ids and key not in unknown:
                found = known.get(key)
                if found is None:
                    unknown[key] = row
                else:
                    entity_ids[key] = found
    conn.executemany(
        "INSERT OR IGNORE INTO entities (type, key, display, data) VALUES (?, ?, ?, ?)",
        unknown.values(),
    )
    looked_up = _entity_ids(conn, list(unknown))
    entity_ids.update(looked_up)
    links, techniques, fts = [], [], []
    for alert in alerts:
        aid = ids[alert.source_id]
        links.extend((aid, entity_ids[row[:2]]) for row in alert.entities)
        techniques.extend((aid, t) for t in alert.techniques)
        fts.append((aid, *alert.search))
    conn.executemany("INSERT OR IGNORE INTO alert_entities VALUES (?, ?)", links)
    conn.executemany("INSERT OR IGNORE INTO alert_techniques VALUES (?, ?)", techniques)
    conn.executemany(
        "INSERT INTO alerts_fts (rowid, title, description, entities) VALUES (?, ?, ?, ?)", fts
    )
    return looked_up


def _entity_ids(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> dict[tuple, int]:
    """Ids of (type, key) pairs, a few thousand per query instead of one query each."""
    found = {}
    for chunk in _chunks(keys, 5000):
        values = ",".join("(?, ?)" for _ in chunk)
        params = [part for pair in chunk for part in pair]
        for eid, type_, key in conn.execute(
            f"SELECT id, type, key FROM entities WHERE (type, key) IN (VALUES {values})", params
        ):
            found[(type_, key)] = eid
    return found
