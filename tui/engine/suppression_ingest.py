"""Ingest-time suppression: new alerts that an enabled rule matches are stored dismissed.

The import hands this screen to the store's batch write (`tui.store.alerts.Screen`). Rules are
read under each batch's write lock, so a rule saved or disabled while an import runs takes
effect from the next batch, and an expired rule stops matching by itself. Matching looks at
the alert's own entities in memory with `Condition.matches`, the one comparison simulate and
apply use, instead of writing the alert open and rewriting its row (raw record included) as
dismissed: that rewrite was most of what 100 rules cost an import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tui.engine.suppression import ENGINE_ACTOR, dismissal, record_hits, rule_from_row
from tui.engine.suppression_rule import ALL_TYPES, Condition, Rule
from tui.model import visible
from tui.model.clock import utcnow
from tui.store import suppression as db
from tui.store.alerts import Dismissal, PreparedAlert, Verdict

Entities = Sequence[tuple[str, str, str, str]]  # (type, key, display, data JSON)


def matches_entities(rule: Rule, entities: Entities) -> bool:
    """Whether every condition of `rule` holds for some entity of one alert."""
    for cond in rule.conditions:
        want = cond.entity_type
        if not any(cond.matches(k, d, data) for kind, k, d, data in entities if kind == want):
            return False
    return True


def _key_condition(rule: Rule) -> Condition | None:
    """The rule's first `in` condition on a strong key (IP, host, hash, resource id, ...)."""
    return next((c for c in rule.conditions if c.plan.exact), None)


def _probes(key: str) -> Iterator[str]:
    """The values under which an entity key can meet a key condition: the compared (visible)
    key itself and, as a host name condition also takes `name.` prefixes, each dotted prefix."""
    value = visible(key)
    yield value
    at = value.find(".")
    while at > 0:
        yield value[:at]
        at = value.find(".", at + 1)


@dataclass
class _Candidates:
    """The rules that may take an alert of one type. Most rules name a host, IP or resource
    that few alerts carry: those are found through their keys (a pre-filter only; every
    candidate is still decided by `matches_entities`), the others are tried on every alert."""

    always: list[Rule]
    by_key: dict[tuple[str, str], list[Rule]]
    kinds: frozenset[str] = frozenset()  # entity types of the keys

    @classmethod
    def of(cls, rules: list[Rule]) -> _Candidates:
        always, by_key = [], {}
        for rule in sorted(rules, key=lambda r: r.id):
            cond = _key_condition(rule)
            if cond is None:
                always.append(rule)
            for key in cond.plan.exact if cond else ():
                by_key.setdefault((cond.entity_type, key), []).append(rule)
        return cls(always, by_key, frozenset(kind for kind, _key in by_key))

    def of_alert(self, entities: Entities) -> list[Rule]:
        """Candidate rules for one alert, oldest (lowest id) first."""
        if not self.by_key:
            return self.always
        found = {rule.id: rule for rule in self.always}
        for kind, key, _display, _data in entities:
            if kind not in self.kinds:
                continue
            for probe in _probes(key):
                for rule in self.by_key.get((kind, probe), ()):
                    found[rule.id] = rule
        return [found[rule_id] for rule_id in sorted(found)]


class IngestSuppression:
    """The suppression screen of one import; `dismissed` counts the alerts it took."""

    def __init__(self, actor: str = ENGINE_ACTOR) -> None:
        self.actor = actor
        self.dismissed = 0
        self._rules: dict[int, Rule] = {}
        self._by_type: dict[str, _Candidates] = {}
        self._any_type = _Candidates([], {})
        self._now = ""

    def begin(self, conn: sqlite3.Connection) -> Verdict | None:
        self._now = utcnow()
        rules = [rule_from_row(row) for row in db.active_rule_rows(conn, self._now)]
        if not rules:
            return None
        self._rules = {rule.id: rule for rule in rules}
        any_type = [r for r in rules if r.alert_type == ALL_TYPES]
        by_type: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.alert_type != ALL_TYPES:
                by_type.setdefault(rule.alert_type, list(any_type)).append(rule)
        self._any_type = _Candidates.of(any_type)
        self._by_type = {t: _Candidates.of(typed) for t, typed in by_type.items()}
        return self._verdict

    def _verdict(self, alert: PreparedAlert) -> Dismissal | None:
        candidates = self._by_type.get(alert.alert_type, self._any_type)
        for rule in candidates.of_alert(alert.entities):  # the oldest matching rule takes it
            if matches_entities(rule, alert.entities):
                return Dismissal(rule.id, *dismissal(rule))
        return None

    def record(self, conn: sqlite3.Connection, dismissed: dict[int, list[int]]) -> None:
        for rule_id, alert_ids in dismissed.items():
            record_hits(conn, self._rules[rule_id], alert_ids, self.actor, self._now)
            self.dismissed += len(alert_ids)
