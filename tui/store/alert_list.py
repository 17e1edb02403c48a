"""Read queries behind the alerts list: ordered keys for a filter, rows by key, counts, search.

The list is virtual (DESIGN §3): the UI holds only the ordered keys of the current filter in a
compact array and asks for the few rows near the viewport. A key is an alert id, or the negated
id of an incident, so one array orders both kinds of row.
"""

from __future__ import annotations

import re
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import orjson

from tui.model import Severity, Status
from tui.store.db import Store


class Sort(StrEnum):
    TIME = "time"
    SEVERITY = "severity"


@dataclass(frozen=True)
class ListFilter:
    """What the analyst asked to see. Empty fields do not filter."""

    severities: frozenset[Severity] = frozenset()
    statuses: frozenset[Status] = frozenset()
    since: str = ""  # ISO 8601 UTC, inclusive
    until: str = ""  # ISO 8601 UTC, exclusive
    resource: str = ""  # substring of the resource id or compromised entity
    alert_type: str = ""
    product: str = ""
    incidents_only: bool = False
    suppressed: bool = False  # only alerts a suppression rule dismissed
    sort: Sort = Sort.TIME


@dataclass(frozen=True)
class ListRow:
    """One line of the list: an alert or an incident, in the fields the list shows."""

    key: int
    severity: Severity
    title: str
    resource: str
    time: str
    intents: tuple[str, ...]
    status: Status
    owner: str
    version: int
    alert_count: int = 0  # incidents only
    incident_id: int | None = None  # alerts: the incident they belong to

    @property
    def is_incident(self) -> bool:
        return self.key < 0

    @property
    def target(self) -> tuple[str, int]:
        """The (kind, id) the triage engine takes."""
        return ("incident", -self.key) if self.is_incident else ("alert", self.key)


@dataclass
class Counts:
    total: int = 0
    severity: dict[Severity, int] = field(default_factory=dict)
    status: dict[Status, int] = field(default_factory=dict)


# An interactive reader touches a few pages per screen, while the store's default page cache
# (64 MB) times one connection per worker thread would be most of the memory budget.
READER_CACHE_KIB = 8192


def reader(store: Store) -> sqlite3.Connection:
    """The calling thread's connection, with a page cache sized for the UI."""
    conn = store.conn
    conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
    return conn


def incident_key(incident_id: int) -> int:
    return -incident_id


# --- filters ---------------------------------------------------------------------------------


def _alert_where(f: ListFilter) -> tuple[list[str], list[object]]:
    conds: list[str] = []
    params: list[object] = []
    if f.severities:
        conds.append(f"a.severity_rank IN ({','.join('?' * len(f.severities))})")
        params.extend(s.rank for s in f.severities)
    if f.statuses:
        conds.append(f"a.status IN ({','.join('?' * len(f.statuses))})")
        params.extend(s.value for s in f.statuses)
    if f.since:
        conds.append("a.start_time_utc >= ?")
        params.append(f.since)
    if f.until:
        conds.append("a.start_time_utc < ?")
        params.append(f.until)
    if f.resource:
        conds.append("(instr(a.resource_id, ?) > 0 OR instr(lower(a.compromised_entity), ?) > 0)")
        params.extend([f.resource.lower()] * 2)
    if f.alert_type:
        conds.append("a.alert_type = ?")
        params.append(f.alert_type)
    if f.product:
        conds.append("a.product_name = ?")
        params.append(f.product)
    if f.suppressed:
        conds.append("a.suppressed_by_rule IS NOT NULL")
    return conds, params


def _incident_where(f: ListFilter) -> tuple[list[str], list[object]]:
    """The same filter applied to incidents: their own triage fields, or any member alert."""
    conds: list[str] = []
    params: list[object] = []
    if f.severities:
        conds.append(f"i.severity_rank IN ({','.join('?' * len(f.severities))})")
        params.extend(s.rank for s in f.severities)
    if f.statuses:
        conds.append(f"i.status IN ({','.join('?' * len(f.statuses))})")
        params.extend(s.value for s in f.statuses)
    if f.since:
        conds.append("i.last_activity_utc >= ?")
        params.append(f.since)
    if f.until:
        conds.append("i.first_activity_utc < ?")
        params.append(f.until)
    member = ListFilter(resource=f.resource, alert_type=f.alert_type, product=f.product)
    member_conds, member_params = _alert_where(member)
    if member_conds:
        conds.append(
            "EXISTS (SELECT 1 FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
            f" WHERE ia.incident_id = i.id AND {' AND '.join(member_conds)})"
        )
        params.extend(member_params)
    return conds, params


def _where(conds: list[str]) -> str:
    return f" WHERE {' AND '.join(conds)}" if conds else ""


def _grouped(conn: sqlite3.Connection, f: ListFilter) -> bool:
    """Whether alerts show under their incidents. Suppressed alerts are listed one by one,
    wherever correlation put them."""
    if f.suppressed:
        return False
    return conn.execute("SELECT 1 FROM incidents LIMIT 1").fetchone() is not None


# --- ordered keys ----------------------------------------------------------------------------


def _alert_keys_sql(f: ListFilter, grouped: bool, extra: Sequence[str] = ()) -> tuple[str, list]:
    conds, params = _alert_where(f)
    conds = [*conds, *extra]
    if grouped:  # alerts that belong to an incident are shown under it
        conds.append("NOT EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia.alert_id = a.id)")
    return f"SELECT a.id AS k, a.start_time_utc AS t FROM alerts a{_where(conds)}", params


def _incident_keys_sql(f: ListFilter, extra: Sequence[str] = ()) -> tuple[str, list]:
    conds, params = _incident_where(f)
    conds = [*conds, *extra]
    return f"SELECT -i.id AS k, i.last_activity_utc AS t FROM incidents i{_where(conds)}", params


def _keys_by_time(
    conn: sqlite3.Connection, f: ListFilter, limit: int | None, extra_alert=(), extra_inc=()
) -> Iterable[tuple]:
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    grouped = _grouped(conn, f)
    if f.incidents_only:
        sql, params = _incident_keys_sql(f, extra_inc)
    elif grouped:
        a_sql, a_params = _alert_keys_sql(f, True, extra_alert)
        i_sql, i_params = _incident_keys_sql(f, extra_inc)
        # Both halves come out of their time indexes; SQLite merges them without a sort.
        sql, params = f"{a_sql} UNION ALL {i_sql}", a_params + i_params
    else:
        sql, params = _alert_keys_sql(f, False, extra_alert)
    return conn.execute(f"{sql} ORDER BY t DESC, k DESC{limit_sql}", params)


def ordered_keys(conn: sqlite3.Connection, f: ListFilter, limit: int | None = None) -> array:
    """Every row key for the filter, in display order (or the first `limit`)."""
    if f.sort is Sort.TIME:
        return array("q", [k for k, _t in _keys_by_time(conn, f, limit)])
    # Severity first, newest first within a severity: one indexed pass per severity.
    out = array("q")
    ranks = sorted((s.rank for s in f.severities or Severity), reverse=True)
    for rank in ranks:
        remaining = None if limit is None else limit - len(out)
        if remaining is not None and remaining <= 0:
            break
        cond_a, cond_i = f"a.severity_rank = {rank}", f"i.severity_rank = {rank}"
        rows = _keys_by_time(conn, f, remaining, [cond_a], [cond_i])
        out.extend(k for k, _t in rows)
    return out


# --- rows ------------------------------------------------------------------------------------

_ALERT_ROW_SQL = (
    "SELECT a.id, a.severity, a.alert_display_name, a.resource_id, a.compromised_entity,"
    " a.start_time_utc, a.intent, a.status, a.owner, a.version, ia.incident_id,"
    " r.name FROM alerts a LEFT JOIN incident_alerts ia ON ia.alert_id = a.id"
    " LEFT JOIN resources r ON r.id = a.resource_id WHERE a.id IN ({marks})"
)
_INCIDENT_ROW_SQL = (
    "SELECT i.id, i.severity, i.title, i.resources, i.last_activity_utc, i.stages, i.status,"
    " i.owner, i.version, i.alert_count FROM incidents i WHERE i.id IN ({marks})"
)


def resource_label(resource_id: str, name: str | None = None, fallback: str = "") -> str:
    """A short name for a resource: its inventory name, else the last segment of its id."""
    if name:
        return name
    if resource_id:
        return resource_id.rstrip("/").rsplit("/", 1)[-1]
    return fallback


def _split(csv: str) -> tuple[str, ...]:
    return tuple(p for p in csv.split(",") if p)


def _json_list(text: str) -> list:
    try:
        value = orjson.loads(text or "[]")
    except orjson.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


def rows(conn: sqlite3.Connection, keys: Iterable[int]) -> dict[int, ListRow]:
    """The list rows for `keys` (alerts and incidents); keys no longer in the store are absent."""
    keys = list(keys)
    alert_ids = [k for k in keys if k > 0]
    incident_ids = [-k for k in keys if k < 0]
    out: dict[int, ListRow] = {}
    for chunk in _chunks(alert_ids):
        sql = _ALERT_ROW_SQL.format(marks=",".join("?" * len(chunk)))
        for aid, sev, title, rid, comp, t, intent, status, owner, ver, inc, rname in conn.execute(
            sql, chunk
        ):
            out[aid] = ListRow(
                key=aid,
                severity=Severity(sev),
                title=title,
                resource=resource_label(rid, rname, comp),
                time=t,
                intents=_split(intent),
                status=Status(status),
                owner=owner,
                version=ver,
                incident_id=inc,
            )
    for chunk in _chunks(incident_ids):
        sql = _INCIDENT_ROW_SQL.format(marks=",".join("?" * len(chunk)))
        for iid, sev, title, res, t, stages, status, owner, ver, count in conn.execute(sql, chunk):
            resources = [resource_label(str(r)) for r in _json_list(res)]
            out[-iid] = ListRow(
                key=-iid,
                severity=Severity(sev),
                title=title,
                resource=", ".join(resources[:3]) + (" …" if len(resources) > 3 else ""),
                time=t,
                intents=tuple(str(s) for s in _json_list(stages)),
                status=Status(status),
                owner=owner,
                version=ver,
                alert_count=count,
            )
    return out


def _chunks(items: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def incident_members(conn: sqlite3.Connection, incident_id: int) -> list[int]:
    """The alert ids of an incident, newest first (shown indented under it when expanded)."""
    return [
        aid
        for (aid,) in conn.execute(
            "SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id"
            " WHERE ia.incident_id = ? ORDER BY a.start_time_utc DESC, a.id DESC",
            (incident_id,),
        )
    ]


# --- counts ----------------------------------------------------------------------------------


def counts(conn: sqlite3.Connection, f: ListFilter) -> Counts:
    """Rows by severity and by status for the filter (what the header shows).

    Two GROUP BYs rather than one over (severity, status): each can be answered from its own
    covering index (alerts_severity_time, alerts_status_time) instead of a scan of the table.
    """
    out = Counts()
    for rank, n in _count_by(conn, f, "severity_rank"):
        sev = Severity.from_rank(rank)
        out.severity[sev] = out.severity.get(sev, 0) + n
        out.total += n
    for status, n in _count_by(conn, f, "status"):
        st = Status(status)
        out.status[st] = out.status.get(st, 0) + n
    return out


def _count_index(f: ListFilter) -> str:
    """Without ANALYZE statistics SQLite reads the table for a status-filtered count by
    severity (9 s at 1M rows); the (severity, status) index answers it in 0.15 s."""
    other = replace(f, severities=frozenset(), statuses=frozenset(), sort=Sort.TIME)
    if other == ListFilter() and (f.severities or f.statuses):
        return " INDEXED BY alerts_severity_status"
    return ""


def _count_by(conn: sqlite3.Connection, f: ListFilter, column: str) -> list[tuple]:
    grouped = _grouped(conn, f)
    parts, params = [], []
    if not f.incidents_only:
        a_conds, a_params = _alert_where(f)
        if grouped:
            a_conds.append("NOT EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia.alert_id = a.id)")
        parts.append(
            f"SELECT a.{column} AS v, count(*) AS n FROM alerts a{_count_index(f)}"
            f"{_where(a_conds)} GROUP BY v"
        )
        params += a_params
    if grouped or f.incidents_only:
        i_conds, i_params = _incident_where(f)
        parts.append(
            f"SELECT i.{column} AS v, count(*) AS n FROM incidents i{_where(i_conds)} GROUP BY v"
        )
        params += i_params
    return conn.execute(" UNION ALL ".join(parts), params).fetchall()


# --- search ----------------------------------------------------------------------------------

# Letters and digits: the characters the unicode61 tokenizer keeps in a token.
_WORD = re.compile(r"[^\W_]+")
# Typing errors are most often past the first letters: match on a short prefix of each word
# and let the fuzzy ranking decide.
PREFIX_LETTERS = 3


@dataclass(frozen=True)
class Candidate:
    id: int
    title: str
    entities: str
    resource: str
    time: str


def fts_query(text: str, op: str = "AND", prefix: int | None = PREFIX_LETTERS) -> str:
    """An FTS5 query for the words of `text`, quoted so input is never query syntax.

    Each whitespace-separated chunk is a phrase whose last word matches by prefix (cut to
    `prefix` letters), so `vm-0042` stays one selective phrase ("vm 004"*) rather than two
    very common prefixes.
    """
    phrases = []
    for chunk in text.split():
        words = _WORD.findall(chunk)
        if words:
            words[-1] = words[-1][:prefix]
            phrases.append(" ".join(words))
    return f" {op} ".join(f'"{p}"*' for p in dict.fromkeys(phrases))


_CANDIDATE_SQL = (
    "SELECT a.id, a.alert_display_name, alerts_fts.entities, a.resource_id, a.start_time_utc"
    " FROM alerts_fts JOIN alerts a ON a.id = alerts_fts.rowid{where}"
    " ORDER BY alerts_fts.rowid DESC LIMIT {limit}"
)


def search_candidates(
    conn: sqlite3.Connection, text: str, f: ListFilter, limit: int = 1000
) -> list[Candidate]:
    """Newest alerts matching `text`, from the most to the least selective query that finds
    something: every word as typed, every word by its first letters (a typo further on), any
    word by its first letters (a typo early in one word must not hide the others)."""
    conds, params = _alert_where(f)
    sql = _CANDIDATE_SQL.format(where=_where(["alerts_fts MATCH ?", *conds]), limit=int(limit))
    tried: set[str] = set()
    for op, prefix in (("AND", None), ("AND", PREFIX_LETTERS), ("OR", PREFIX_LETTERS)):
        query = fts_query(text, op, prefix)
        if not query or query in tried:
            continue
        tried.add(query)
        found = [Candidate(*row) for row in conn.execute(sql, [query, *params])]
        if found:
            return found
    return []


def title_candidates(
    conn: sqlite3.Connection, titles: Sequence[str], f: ListFilter, limit: int = 1000
) -> list[Candidate]:
    """Newest alerts carrying one of `titles` exactly (titles found by fuzzy matching)."""
    if not titles:
        return []
    phrases = [" ".join(_WORD.findall(t)) for t in titles]
    match = " OR ".join(f'"{p}"' for p in dict.fromkeys(phrases) if p)
    if not match:
        return []
    f_conds, f_params = _alert_where(f)
    conds = [
        "alerts_fts MATCH ?",
        f"a.alert_display_name IN ({','.join('?' * len(titles))})",
        *f_conds,
    ]
    sql = _CANDIDATE_SQL.format(where=_where(conds), limit=int(limit))
    return [
        Candidate(*row) for row in conn.execute(sql, [f"title : ({match})", *titles, *f_params])
    ]


def distinct_titles(conn: sqlite3.Connection) -> list[str]:
    """Every alert title once: the vocabulary fuzzy search corrects typos against."""
    return [t for (t,) in conn.execute("SELECT DISTINCT alert_display_name FROM alerts")]


def filter_values(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Distinct alert types and products, offered when the analyst picks a filter."""
    return {
        "alert_type": [
            v for (v,) in conn.execute("SELECT DISTINCT alert_type FROM alerts ORDER BY 1")
        ],
        "product": [
            v
            for (v,) in conn.execute(
                "SELECT DISTINCT product_name FROM alerts WHERE product_name != '' ORDER BY 1"
            )
        ],
    }
