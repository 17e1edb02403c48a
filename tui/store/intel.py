"""Threat-intelligence tables: writing a loaded source and the reads attribution and reports need.

The intel layer builds an `IntelBatch` (plain rows) from MISP galaxies or a STIX bundle; this
module writes it in one short transaction with its audit row, and answers the queries.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.model.clock import utcnow
from tui.store.audit import record
from tui.store.db import transaction

MISP_SOURCE = "misp"


@dataclass(slots=True)
class GroupRow:
    id: str
    name: str
    description: str = ""
    country: str = ""
    sponsor: str = ""
    attribution_confidence: str = ""
    motives: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    victims: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SoftwareRow:
    id: str
    name: str
    kind: str
    description: str = ""


@dataclass(slots=True)
class TechniqueRow:
    id: str
    name: str
    tactics: list[str] = field(default_factory=list)
    description: str = ""


@dataclass(slots=True)
class MitigationRow:
    id: str
    name: str
    description: str = ""


@dataclass(slots=True)
class CampaignRow:
    id: str
    name: str
    description: str = ""
    first_seen: str = ""
    last_seen: str = ""


@dataclass(slots=True)
class IndicatorRow:
    id: str
    name: str
    pattern: str
    valid_from: str
    values: list[tuple[str, str]]  # (ip|domain|url|filehash, normalized value)


@dataclass(slots=True)
class IntelBatch:
    """Rows of one source. Aliases are (kind, object id, alias, norm); relations are
    (src kind, src id, relation, dst kind, dst id); stix_ids are (stix id, kind, object id)."""

    groups: list[GroupRow] = field(default_factory=list)
    software: list[SoftwareRow] = field(default_factory=list)
    techniques: list[TechniqueRow] = field(default_factory=list)
    mitigations: list[MitigationRow] = field(default_factory=list)
    campaigns: list[CampaignRow] = field(default_factory=list)
    sectors: list[tuple[str, str]] = field(default_factory=list)
    aliases: list[tuple[str, str, str, str]] = field(default_factory=list)
    relations: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    stix_ids: list[tuple[str, str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "groups": len(self.groups),
            "software": len(self.software),
            "techniques": len(self.techniques),
            "mitigations": len(self.mitigations),
            "campaigns": len(self.campaigns),
            "sectors": len(self.sectors),
            "relations": len(self.relations),
            "indicators": len(self.indicators),
        }


_SOURCED_TABLES = (
    "intel_groups",
    "intel_software",
    "intel_techniques",
    "intel_mitigations",
    "intel_campaigns",
    "intel_sectors",
    "intel_aliases",
    "intel_relations",
    "intel_indicators",
)


def write_source(
    conn: sqlite3.Connection,
    source: str,
    batch: IntelBatch,
    *,
    curated: bool,
    version: str,
    detail: dict[str, Any],
    actor: str,
) -> None:
    """Replace every row of `source` with `batch` in one transaction, with its audit row.

    The curated knowledge base (`curated`) overwrites rows by id; an imported bundle never
    overwrites them, and re-importing the same bundle replaces only its own rows.
    """
    with transaction(conn):
        before = _source_row(conn, source)
        for table in _SOURCED_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
        _insert(conn, source, batch, replace=curated)
        _set_source(conn, source, version, detail)
        action, after = (
            ("intel.load", {"version": version}) if curated else ("intel.import", detail)
        )
        record(conn, actor, action, "intel_source", source, before, after)


def _insert(conn: sqlite3.Connection, source: str, batch: IntelBatch, *, replace: bool) -> None:
    # A bundle never overwrites the curated knowledge base: its rows for an existing id are
    # skipped (the bundle's objects were mapped onto those ids before we get here).
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    conn.executemany(
        f"{verb} INTO intel_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                g.id,
                g.name,
                g.description,
                g.country,
                g.sponsor,
                g.attribution_confidence,
                _json(g.motives),
                _json(g.sectors),
                _json(g.victims),
                _json(g.refs),
                source,
            )
            for g in batch.groups
        ],
    )
    conn.executemany(
        f"{verb} INTO intel_software VALUES (?, ?, ?, ?, ?)",
        [(s.id, s.name, s.kind, s.description, source) for s in batch.software],
    )
    conn.executemany(
        f"{verb} INTO intel_techniques VALUES (?, ?, ?, ?, ?)",
        [(t.id, t.name, _json(t.tactics), t.description, source) for t in batch.techniques],
    )
    conn.executemany(
        f"{verb} INTO intel_mitigations VALUES (?, ?, ?, ?)",
        [(m.id, m.name, m.description, source) for m in batch.mitigations],
    )
    conn.executemany(
        f"{verb} INTO intel_campaigns VALUES (?, ?, ?, ?, ?, ?)",
        [(c.id, c.name, c.description, c.first_seen, c.last_seen, source) for c in batch.campaigns],
    )
    conn.executemany(
        f"{verb} INTO intel_sectors VALUES (?, ?, ?)",
        [(name, desc, source) for name, desc in batch.sectors],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO intel_aliases VALUES (?, ?, ?, ?, ?)",
        [(*a, source) for a in batch.aliases],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO intel_relations VALUES (?, ?, ?, ?, ?, ?)",
        [(*r, source) for r in batch.relations],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO intel_indicators VALUES (?, ?, ?, ?, ?)",
        [(i.id, i.name, i.pattern, i.valid_from, source) for i in batch.indicators],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO intel_indicator_values VALUES (?, ?, ?)",
        [(kind, value, i.id) for i in batch.indicators for kind, value in i.values],
    )
    conn.executemany("INSERT OR REPLACE INTO intel_stix_ids VALUES (?, ?, ?)", batch.stix_ids)


def _set_source(conn: sqlite3.Connection, source: str, version: str, detail: dict) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO intel_sources VALUES (?, ?, ?, ?)",
        (source, version, utcnow(), _json(detail)),
    )


def _source_row(conn: sqlite3.Connection, source: str) -> dict | None:
    row = conn.execute(
        "SELECT version, loaded_at FROM intel_sources WHERE name = ?", (source,)
    ).fetchone()
    return {"version": row[0], "loaded_at": row[1]} if row else None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- reads -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    version: str
    loaded_at: str
    detail: dict[str, Any]


def sources(conn: sqlite3.Connection) -> list[SourceInfo]:
    return [
        SourceInfo(name, version, at, json.loads(detail))
        for name, version, at, detail in conn.execute(
            "SELECT name, version, loaded_at, detail FROM intel_sources ORDER BY name"
        )
    ]


def is_loaded(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute("SELECT 1 FROM intel_sources WHERE name = ?", (MISP_SOURCE,)).fetchone()
        is not None
    )


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = ("groups", "software", "techniques", "mitigations", "campaigns", "sectors")
    out = {n: conn.execute(f"SELECT count(*) FROM intel_{n}").fetchone()[0] for n in names}
    out["relations"] = conn.execute("SELECT count(*) FROM intel_relations").fetchone()[0]
    out["indicators"] = conn.execute("SELECT count(*) FROM intel_indicators").fetchone()[0]
    return out


def group_row(conn: sqlite3.Connection, group_id: str) -> GroupRow | None:
    row = conn.execute(
        "SELECT id, name, description, country, sponsor, attribution_confidence, motives,"
        " sectors, victims, refs FROM intel_groups WHERE id = ?",
        (group_id,),
    ).fetchone()
    if row is None:
        return None
    return GroupRow(*row[:6], *(json.loads(v) for v in row[6:]))


def campaign_row(conn: sqlite3.Connection, campaign_id: str) -> CampaignRow | None:
    row = conn.execute(
        "SELECT id, name, description, first_seen, last_seen FROM intel_campaigns WHERE id = ?",
        (campaign_id,),
    ).fetchone()
    return CampaignRow(*row) if row else None


def campaign_rows(conn: sqlite3.Connection, ids: Iterable[str]) -> list[CampaignRow]:
    return [r for r in (campaign_row(conn, i) for i in dict.fromkeys(ids)) if r is not None]


def software_rows(conn: sqlite3.Connection, ids: Iterable[str]) -> list[SoftwareRow]:
    out = []
    for sid in dict.fromkeys(ids):
        row = conn.execute(
            "SELECT id, name, kind, description FROM intel_software WHERE id = ?", (sid,)
        ).fetchone()
        if row:
            out.append(SoftwareRow(*row))
    return out


def technique_rows(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, TechniqueRow]:
    out = {}
    for tid in dict.fromkeys(ids):
        row = conn.execute(
            "SELECT id, name, tactics, description FROM intel_techniques WHERE id = ?", (tid,)
        ).fetchone()
        if row:
            out[tid] = TechniqueRow(row[0], row[1], json.loads(row[2]), row[3])
    return out


def name_of(conn: sqlite3.Connection, kind: str, object_id: str) -> str | None:
    table = {"group": "intel_groups", "campaign": "intel_campaigns", "software": "intel_software"}
    row = conn.execute(f"SELECT name FROM {table[kind]} WHERE id = ?", (object_id,)).fetchone()
    return row[0] if row else None


def aliases_of(conn: sqlite3.Connection, kind: str, object_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT alias FROM intel_aliases WHERE kind = ? AND object_id = ? ORDER BY alias",
        (kind, object_id),
    )
    return [r[0] for r in rows]


def all_aliases(conn: sqlite3.Connection, kinds: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(kind, object id, alias, norm) of every alias of the given kinds."""
    marks = ",".join("?" * len(kinds))
    return conn.execute(
        f"SELECT kind, object_id, alias, norm FROM intel_aliases WHERE kind IN ({marks})",
        tuple(kinds),
    ).fetchall()


def find_by_norm(conn: sqlite3.Connection, kind: str, norm: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT object_id FROM intel_aliases WHERE kind = ? AND norm = ?", (kind, norm)
    )
    return [r[0] for r in rows]


def related(
    conn: sqlite3.Connection, src_kind: str, src_id: str, relation: str, dst_kind: str
) -> list[str]:
    rows = conn.execute(
        "SELECT dst_id FROM intel_relations WHERE src_kind = ? AND src_id = ? AND relation = ?"
        " AND dst_kind = ? ORDER BY dst_id",
        (src_kind, src_id, relation, dst_kind),
    )
    return [r[0] for r in rows]


def related_to(
    conn: sqlite3.Connection, dst_kind: str, dst_id: str, relation: str, src_kind: str
) -> list[str]:
    rows = conn.execute(
        "SELECT src_id FROM intel_relations WHERE dst_kind = ? AND dst_id = ? AND relation = ?"
        " AND src_kind = ? ORDER BY src_id",
        (dst_kind, dst_id, relation, src_kind),
    )
    return [r[0] for r in rows]


def relation_pairs(
    conn: sqlite3.Connection, src_kind: str, relation: str, dst_kind: str
) -> list[tuple[str, str]]:
    """Every (src id, dst id) of one relation type: the input of IDF weights."""
    return conn.execute(
        "SELECT src_id, dst_id FROM intel_relations WHERE src_kind = ? AND relation = ?"
        " AND dst_kind = ?",
        (src_kind, relation, dst_kind),
    ).fetchall()


def mitigation_rows(
    conn: sqlite3.Connection, technique_ids: Sequence[str]
) -> list[tuple[MitigationRow, list[str]]]:
    """Mitigations of any of `technique_ids`, each with the given techniques it mitigates."""
    found: dict[str, list[str]] = {}
    for tid in dict.fromkeys(technique_ids):
        for (mid,) in conn.execute(
            "SELECT src_id FROM intel_relations WHERE dst_kind = 'technique' AND dst_id = ?"
            " AND relation = 'mitigates' AND src_kind = 'mitigation'",
            (tid,),
        ):
            found.setdefault(mid, []).append(tid)
    out = []
    for mid in sorted(found):
        row = conn.execute(
            "SELECT id, name, description FROM intel_mitigations WHERE id = ?", (mid,)
        ).fetchone()
        if row:
            out.append((MitigationRow(*row), found[mid]))
    return out


def stix_object(conn: sqlite3.Connection, stix_id: str) -> tuple[str, str] | None:
    """(kind, object id) an imported STIX id was stored as, if any."""
    row = conn.execute(
        "SELECT kind, object_id FROM intel_stix_ids WHERE stix_id = ?", (stix_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None


def indicator_matches(
    conn: sqlite3.Connection, values: Iterable[tuple[str, str]]
) -> list[tuple[str, str, str, str]]:
    """(type, value, indicator id, indicator name) for every observed value an indicator has."""
    out = []
    for kind, value in dict.fromkeys(values):
        out.extend(
            conn.execute(
                "SELECT v.type, v.value, i.id, i.name FROM intel_indicator_values v"
                " JOIN intel_indicators i ON i.id = v.indicator_id"
                " WHERE v.type = ? AND v.value = ?",
                (kind, value),
            ).fetchall()
        )
    return out


# --- alert evidence ------------------------------------------------------------------------


@dataclass(slots=True)
class AlertEvidence:
    """What attribution and IOC export read about a set of alerts."""

    alert_ids: list[int]
    texts: list[str]  # titles, descriptions, compromised entities, extended properties
    techniques: list[str]
    entities: list[tuple[int, str, str, str]]  # (alert id, type, key, display)
    first_seen: dict[int, str]  # alert id -> start time


def incident_alert_ids(conn: sqlite3.Connection, incident_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT alert_id FROM incident_alerts WHERE incident_id = ? ORDER BY alert_id",
        (incident_id,),
    )
    return [r[0] for r in rows]


def incident_exists(conn: sqlite3.Connection, incident_id: int) -> bool:
    found = conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return found is not None


def incident_title(conn: sqlite3.Connection, incident_id: int) -> str:
    row = conn.execute("SELECT title FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return row[0] if row else ""


def record_export(
    conn: sqlite3.Connection, actor: str, incident_id: int, fmt: str, exported: int
) -> None:
    """Audit an IOC export: indicators leaving the system are an analyst action."""
    with transaction(conn):
        record(
            conn,
            actor,
            "iocs.export",
            "incident",
            incident_id,
            None,
            {"format": fmt, "indicators": exported},
        )


def incident_classification(conn: sqlite3.Connection, incident_id: int) -> str:
    row = conn.execute(
        "SELECT classification FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    return row[0] if row else ""


def existing_alert_ids(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> list[int]:
    found = []
    for aid in alert_ids:
        if conn.execute("SELECT 1 FROM alerts WHERE id = ?", (aid,)).fetchone():
            found.append(aid)
    return found


def alert_evidence(conn: sqlite3.Connection, alert_ids: Sequence[int]) -> AlertEvidence:
    ids = list(dict.fromkeys(alert_ids))
    evidence = AlertEvidence(ids, [], [], [], {})
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        for aid, title, desc, compromised, props, start in conn.execute(
            "SELECT id, alert_display_name, description, compromised_entity,"
            f" extended_properties, start_time_utc FROM alerts WHERE id IN ({marks})",
            chunk,
        ):
            evidence.texts.extend((title, desc, compromised, *_strings(json.loads(props))))
            evidence.first_seen[aid] = start
        evidence.techniques.extend(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT technique_id FROM alert_techniques WHERE alert_id IN ({marks})",
                chunk,
            )
        )
        evidence.entities.extend(
            conn.execute(
                "SELECT ae.alert_id, e.type, e.key, e.display FROM alert_entities ae"
                f" JOIN entities e ON e.id = ae.entity_id WHERE ae.alert_id IN ({marks})"
                " ORDER BY ae.alert_id, e.id",
                chunk,
            ).fetchall()
        )
    evidence.techniques = sorted(set(evidence.techniques))
    return evidence


def _strings(value: Any) -> Iterable[str]:
    """Every string (keys' values, nested) in a JSON document: extended properties."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
