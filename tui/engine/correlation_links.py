"""The correlation graph over compact arrays: windowed links, union-find, components.

Alerts are dense indexes 0..n-1 (a rebuild uses alert ids as indexes, an incremental run maps
its region onto 0..n-1). Nothing here keeps a Python object per alert: times, types and sites
live in `array`s, and only the alerts that end up in an incident are listed at the end.

The rule for one link key (an entity, a correlation key, an alert type): sort its alerts by
time; every span of `window` seconds that holds at least `need` distinct values of an attribute
(alert types for entities, sites for alert types) puts all its alerts into one group. For
`need` = 2 types this is exactly "two alerts of different types within the window are linked",
so one detection repeating on a host is not corroboration, while a chain of distinct alerts
keeps an incident growing as long as each arrives within the window of the previous one.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import compress

FREE, PINNED, EXCLUDED = 0, 1, 2  # alert states: correlated normally, pinned by analyst, out


class LinkKind(IntEnum):
    ENTITY = 1
    CORRELATION_KEY = 2
    SOURCE_INCIDENT = 3
    ALERT_TYPE = 4


@dataclass
class Scope:
    """Per-alert attributes, indexed by dense alert index."""

    time: array  # epoch seconds
    kind: array  # alert type code
    site: array  # the resource an alert is about (code); 0 = none
    rank: array  # severity rank 0..3
    intent: array  # code of the alert's intent list
    state: bytearray  # FREE, PINNED or EXCLUDED
    pinned: dict[int, int] = field(default_factory=dict)  # index -> incident id

    @classmethod
    def empty(cls, size: int) -> Scope:
        return cls(
            time=array("q", bytes(8 * size)),
            kind=array("q", bytes(8 * size)),
            site=array("q", bytes(8 * size)),
            rank=array("q", bytes(8 * size)),
            intent=array("q", bytes(8 * size)),
            state=bytearray([EXCLUDED]) * size,
        )

    def __len__(self) -> int:
        return len(self.state)


@dataclass
class Component:
    members: list[int]
    incident: int | None  # forced by an analyst's pin, else chosen when applied


class Linker:
    """Union-find over a scope, remembering for each alert the first link that joined it."""

    def __init__(self, scope: Scope) -> None:
        size = len(scope)
        self.scope = scope
        self.parent = array("q", range(size))
        self.keys: list[tuple[LinkKind, object]] = [(LinkKind.ENTITY, None)]  # code 0 = none
        self.reason_key = array("q", bytes(8 * size))
        self.reason_partner = array("q", [-1]) * size
        self.affinity: list[tuple[int, int]] = []  # (free alert, incident it is pinned near)
        self.quiet: set[int] = set()  # alert types whose alerts never link through entities

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def _union(self, a: int, b: int, code: int) -> None:
        if not self.reason_key[a]:
            self.reason_key[a], self.reason_partner[a] = code, b
        if not self.reason_key[b]:
            self.reason_key[b], self.reason_partner[b] = code, a
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def link(
        self,
        key: tuple[LinkKind, object],
        members: Iterable[int],
        window: int | None,
        values: array | None,
        need: int,
    ) -> None:
        """Group the alerts of one link key by the windowed rule of the module docstring.

        A span qualifies when its alerts hold `need` distinct non-zero `values` (alert types,
        sites); with `values` None any two alerts qualify.
        """
        scope = self.scope
        state, time = scope.state, scope.time
        if key[0] is LinkKind.ENTITY and self.quiet:
            kind, quiet = scope.kind, self.quiet
            alerts = [m for m in members if state[m] != EXCLUDED and kind[m] not in quiet]
        else:
            alerts = [m for m in members if state[m] != EXCLUDED]
        if len(alerts) < 2:
            return
        if values is not None and len({values[m] for m in alerts} - {0}) < need:
            return  # no span can qualify: the common case, decided at C speed
        alerts.sort(key=time.__getitem__)
        self.keys.append(key)
        code = len(self.keys) - 1
        span = window if window is not None else 1 << 62
        if values is None or time[alerts[-1]] - time[alerts[0]] <= span:
            run = _Run()  # one span holds them all
            for m in alerts:
                self._join(run, m, code)
            return
        self._slide(alerts, code, span, values, need)

    def _slide(self, alerts: list[int], code: int, span: int, values: array, need: int) -> None:
        time = self.scope.time
        counts: dict[int, int] = {}
        n = len(alerts)
        start = 0
        run_end = -1
        run = _Run()
        for j, m in enumerate(alerts):
            value = values[m]
            if value:
                counts[value] = counts.get(value, 0) + 1
            low = time[m] - span
            while time[alerts[start]] < low:
                gone = values[alerts[start]]
                if gone:
                    counts[gone] -= 1
                    if not counts[gone]:
                        del counts[gone]
                start += 1
            if (j + 1 < n and time[alerts[j + 1]] == time[m]) or len(counts) < need:
                continue  # ties are judged once, at the last alert with that time
            if run_end < start:
                run = _Run()
                first = start
            else:
                first = run_end + 1
            for k in range(first, j + 1):
                self._join(run, alerts[k], code)
            run_end = j

    def _join(self, run: _Run, alert: int, code: int) -> None:
        if self.scope.state[alert] == PINNED:
            incident = self.scope.pinned[alert]
            if run.last_free >= 0:
                self.affinity.append((run.last_free, incident))
            else:
                run.pins.append(incident)
            return
        if run.last_free >= 0:
            self._union(run.last_free, alert, code)
        else:
            self.affinity.extend((alert, incident) for incident in run.pins)
            run.pins.clear()
        run.last_free = alert

    def components(self, indexes: range) -> list[Component]:
        """Groups of two or more free alerts, and every pinned incident with what joined it."""
        state = self.scope.state
        roots: dict[int, list[int]] = {}
        find = self.find
        for i in compress(indexes, self.reason_key):  # alerts some link touched
            if state[i] == FREE:
                roots.setdefault(find(i), []).append(i)
        nearest: dict[int, int] = {}
        for alert, incident in self.affinity:
            root = find(alert)
            roots.setdefault(root, [root])
            nearest[root] = min(nearest.get(root, incident), incident)
        pinned: dict[int, list[int]] = {}
        for alert, incident in self.scope.pinned.items():
            pinned.setdefault(incident, []).append(alert)
        out = []
        for root, members in roots.items():
            incident = nearest.get(root)
            if incident is None:
                if len(members) > 1:
                    out.append(Component(sorted(members), None))
            else:
                pinned.setdefault(incident, []).extend(members)
        out.extend(Component(sorted(m), incident) for incident, m in pinned.items())
        return out


@dataclass
class _Run:
    last_free: int = -1
    pins: list[int] = field(default_factory=list)
