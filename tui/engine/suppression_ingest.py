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
from collections.abc import Sequence

from tui.engine.suppression import ENGINE_ACTOR, dismissal, record_hits, rule_from_row
from tui.engine.suppression_rule import ALL_TYPES, Rule
from tui.model.clock import utcnow
from tui.store import suppression as db
from tui.store.alerts import SOURCE_COLUMNS, Dismissal, PreparedAlert, Verdict

_ALERT_TYPE = SOURCE_COLUMNS.index("alert_type")
Entities = Sequence[tuple[str, str, str, str]]  # (type, key, display, data JSON)


def matches_entities(rule: Rule, entities: Entities) -> bool:
    """Whether every condition of `rule` holds for some entity of one alert."""
    for cond in rule.conditions:
        want = cond.entity_type
        if not any(cond.matches(k, d, data) for kind, k, d, data in entities if kind == want):
            return False
    return True


class IngestSuppression:
    """The suppression screen of one import; `dismissed` counts the alerts it took."""

    def __init__(self, actor: str = ENGINE_ACTOR) -> None:
        self.actor = actor
        self.dismissed = 0
        self._rules: dict[int, Rule] = {}
        self._by_type: dict[str, list[Rule]] = {}
        self._any_type: list[Rule] = []
        self._now = ""

    def begin(self, conn: sqlite3.Connection) -> Verdict | None:
        self._now = utcnow()
        rules = [rule_from_row(row) for row in db.active_rule_rows(conn, self._now)]
        if not rules:
            return None
        self._rules = {rule.id: rule for rule in rules}
        self._any_type = [r for r in rules if r.alert_type == ALL_TYPES]
        self._by_type = {}
        for rule in rules:  # ascending ids: the oldest matching rule takes an alert
            if rule.alert_type != ALL_TYPES:
                self._by_type.setdefault(rule.alert_type, list(self._any_type)).append(rule)
        for candidates in self._by_type.values():
            candidates.sort(key=lambda r: r.id)
        return self._verdict

    def _verdict(self, alert: PreparedAlert) -> Dismissal | None:
        candidates = self._by_type.get(alert.values[_ALERT_TYPE], self._any_type)
        for rule in candidates:
            if matches_entities(rule, alert.entities):
                return Dismissal(rule.id, *dismissal(rule))
        return None

    def record(self, conn: sqlite3.Connection, dismissed: dict[int, list[int]]) -> None:
        for rule_id, alert_ids in dismissed.items():
            record_hits(conn, self._rules[rule_id], alert_ids, self.actor, self._now)
            self.dismissed += len(alert_ids)
