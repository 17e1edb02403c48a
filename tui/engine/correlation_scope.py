"""Loading alerts into a correlation scope: compact arrays, interned names, analyst overrides."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable

from tui.engine.correlation_links import EXCLUDED, FREE, PINNED, LinkKind, Scope
from tui.store import correlation_data as cdb

_BATCH = 50_000
_VALUE_KINDS = {
    "correlation_key": LinkKind.CORRELATION_KEY,
    "source_incident_id": LinkKind.SOURCE_INCIDENT,
}


class Codes(dict):
    """Interns names as small ints at C speed: codes[name] assigns the next code when new."""

    def __init__(self, names: list[str], first: int) -> None:
        super().__init__()
        self.names = names
        self.first = first

    def __missing__(self, name: str) -> int:
        code = self[name] = len(self.names) + self.first
        self.names.append(name)
        return code


class Graph:
    """A scope of alerts (dense indexes) with the facts correlation needs about each.

    A rebuild indexes by alert id (`ids` None); an incremental run maps its region onto
    0..n-1 with `index` and keeps the ids in `ids`.
    """

    def __init__(self, size: int, index: Callable[[int], int | None], ids: array | None):
        self.scope = Scope.empty(size)
        self.index = index
        self.ids = ids
        self.type_names: list[str] = [""]  # code 0: no alert at this index
        self.type_codes = Codes(self.type_names, 0)
        self.resource_names: list[str] = []  # site -c-1 is resource_names[c]
        self.resource_codes = Codes(self.resource_names, 1)
        self.resource_codes[""] = 0
        self.intent_names: list[str] = []
        self.intent_codes = Codes(self.intent_names, 0)
        self.values: dict[tuple[LinkKind, str], list[int]] = {}
        self.pinned_by: dict[int, str] = {}
        self.intents_loaded = False

    @classmethod
    def of_ids(cls, ids: Iterable[int]) -> Graph:
        dense = array("q", sorted(set(ids)))
        position = {alert_id: i for i, alert_id in enumerate(dense)}
        return cls(len(dense), position.get, dense)

    def alert_id(self, i: int) -> int:
        return i if self.ids is None else self.ids[i]

    def load(self, conn) -> None:
        """Facts, link values and analyst overrides of every alert in the scope."""
        if self.ids is None:
            self._load_all(conn)
        else:
            for rows in _batches(cdb.alert_facts(conn, self.ids), _BATCH):
                self._load_rows(rows)
            self.intents_loaded = True
        for alert_id, column, value in cdb.alert_values(conn, self.ids):
            i = self.index(alert_id)
            if i is not None:
                self.values.setdefault((_VALUE_KINDS[column], value), []).append(i)
        pinned, removed = cdb.overrides(conn)
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

    def _load_all(self, conn) -> None:
        """Every alert, from narrow index scans: a million rows in seconds, not tens."""
        scope = self.scope
        time, rank, state, kind, site = scope.time, scope.rank, scope.state, scope.kind, scope.site
        size = len(scope)
        for i, epoch, severity in cdb.alert_times(conn):
            if i < size:
                time[i], rank[i], state[i] = epoch, severity, FREE
        for name, ids in cdb.alert_groups(conn, "alert_type"):
            code = self.type_codes[name]
            for i in ids:
                if i < size:
                    kind[i] = code
        for name, ids in cdb.alert_groups(conn, "resource_id"):
            code = -self.resource_codes[name]
            for i in ids:
                if i < size:
                    site[i] = code
        for i, compromised, host in cdb.alerts_without_resource(conn):
            if i < size:
                site[i] = -self.resource_codes[compromised] or (host or 0)

    def load_intents(self, conn, members: Iterable[int]) -> None:
        """Intents are needed for incident summaries only: a rebuild loads them late."""
        if self.intents_loaded:
            return
        intent = self.scope.intent
        wanted = sorted(map(self.alert_id, members))  # in id order: neighbouring pages
        for alert_id, value in cdb.alert_intents(conn, wanted):
            i = self.index(alert_id)
            if i is not None:
                intent[i] = self.intent_codes[value]

    def _load_rows(self, rows: list[cdb.Fact]) -> None:
        scope = self.scope
        ids, epochs, types, resources, hosts, ranks, intents = zip(*rows, strict=True)
        kinds = array("q", map(self.type_codes.__getitem__, types))
        codes = map(self.resource_codes.__getitem__, resources)
        sites = array("q", [-r or (h or 0) for r, h in zip(codes, hosts, strict=True)])
        intent = array("q", map(self.intent_codes.__getitem__, intents))
        for n, alert_id in enumerate(ids):
            i = self.index(alert_id)
            if i is not None:
                scope.time[i], scope.kind[i], scope.site[i] = epochs[n], kinds[n], sites[n]
                scope.rank[i], scope.intent[i] = ranks[n], intent[n]
                scope.state[i] = FREE

    def site_name(self, code: int) -> str:
        """Stable text of a site: 'h<host entity id>' or 'r<resource>'."""
        return f"h{code}" if code > 0 else f"r{self.resource_names[-code - 1]}"

    def site_codes(self, members: Iterable[int]) -> set[int]:
        codes = set(map(self.scope.site.__getitem__, members))
        codes.discard(0)
        return codes

    def sites(self, members: Iterable[int], limit: int, into: Iterable[str] = ()) -> set[str]:
        """Names of the distinct resources of these alerts and `into`, at most `limit`+."""
        found = set(into)
        for code in sorted(self.site_codes(members)):
            if len(found) >= limit:
                break
            found.add(self.site_name(code))
        return found


def _batches(rows: Iterable, size: int) -> Iterable[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
