"""Workflow automation in Defender for Cloud's model: when an alert or incident is created or
changes and matches a rule, run a playbook.

Config (`[[automation]]` tables):

    [[automation]]
    name = "block-attackers"
    playbook = "block-ips"
    trigger = "incident-created"     # or alert-created, alert-changed, incident-changed
    [[automation.rule_sets]]         # rule sets are OR-ed; the rules inside one are AND-ed
    rules = [
      { property = "severity", operator = "greater than", value = "Medium" },
      { property = "entities.ip.address", operator = "not equals", value = "203.0.113.7" },
    ]

A rule without rule sets matches every target. Properties are alert (or incident) columns
(`severity`, `alert_type`, `status`, ...; `alertType` works too), `extended_properties.NAME` and
`entities.TYPE.FIELD` (`entities.host.hostname`; FIELD `key` or `display` for the normalized
value). Comparisons use the visible form of the value, case-insensitively; greater/less than
compare severities by rank and other values as numbers. A property with several values (entities,
intents) matches when any value does; a negative operator when none does. A rule fires at most
once per target and trigger, whatever happens later (a database constraint).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tui.config import Config, current_user
from tui.engine.playbooks import PlaybookError, RunInProgressError, Target, load_playbooks
from tui.engine.playbooks.definitions import NAME_RE, Playbook
from tui.engine.playbooks.runner import run_automatic
from tui.model.enums import EntityType, Severity
from tui.model.text import visible
from tui.store import Store
from tui.store import playbooks as runs_store
from tui.store.playbooks import Run

TRIGGERS = ("alert-created", "alert-changed", "incident-created", "incident-changed")
OPERATORS = (
    "equals",
    "not equals",
    "contains",
    "starts with",
    "ends with",
    "greater than",
    "less than",
)
_OPERATOR_SPELLINGS = {op.replace(" ", ""): op for op in OPERATORS}
_NEGATIONS = {"not equals": "equals"}
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Condition:
    path: str
    operator: str
    value: str

    def matches(self, facts: dict[str, Any]) -> bool:
        values = resolve(facts, self.path)
        positive = _NEGATIONS.get(self.operator)
        if positive:
            return not any(_compare(positive, v, self.value, self.path) for v in values)
        return any(_compare(self.operator, v, self.value, self.path) for v in values)


@dataclass(frozen=True, slots=True)
class AutomationRule:
    name: str
    playbook: str
    trigger: str
    rule_sets: tuple[tuple[Condition, ...], ...]
    enabled: bool = True

    def matches(self, facts: dict[str, Any]) -> bool:
        if not self.rule_sets:
            return True
        return any(all(c.matches(facts) for c in rule_set) for rule_set in self.rule_sets)


def load_rules(
    config: Config, playbooks: dict[str, Playbook] | None = None
) -> list[AutomationRule]:
    """Every `[[automation]]` rule, validated; errors name the rule and the field."""
    tables = config.data.get("automation", [])
    if not isinstance(tables, list):
        raise PlaybookError("[[automation]] must be an array of tables")
    playbooks = load_playbooks(config) if playbooks is None else playbooks
    rules: list[AutomationRule] = []
    for number, table in enumerate(tables, 1):
        rule = _rule(table, f"[[automation]] #{number}", playbooks)
        if any(r.name == rule.name for r in rules):
            raise PlaybookError(f"automation rule {rule.name!r} is declared twice")
        rules.append(rule)
    return rules


def _rule(table: Any, where: str, playbooks: dict[str, Playbook]) -> AutomationRule:
    if not isinstance(table, dict):
        raise PlaybookError(f"{where}: must be a table")
    name = table.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise PlaybookError(f"{where}: name must be letters, digits, '-', '_' or '.'")
    where = f"automation rule {name!r}"
    if table.get("playbook") not in playbooks:
        raise PlaybookError(f"{where}: no playbook named {table.get('playbook')!r}")
    if table.get("trigger") not in TRIGGERS:
        raise PlaybookError(f"{where}: trigger must be one of {', '.join(TRIGGERS)}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise PlaybookError(f"{where}: enabled must be true or false")
    rule_sets = table.get("rule_sets", [])
    if not isinstance(rule_sets, list):
        raise PlaybookError(f"{where}: rule_sets must be an array of tables")
    return AutomationRule(
        name=name,
        playbook=table["playbook"],
        trigger=table["trigger"],
        rule_sets=tuple(_rule_set(s, f"{where}, rule set {n}") for n, s in enumerate(rule_sets, 1)),
        enabled=enabled,
    )


def _rule_set(table: Any, where: str) -> tuple[Condition, ...]:
    rules = table.get("rules") if isinstance(table, dict) else None
    if not isinstance(rules, list) or not rules:
        raise PlaybookError(f"{where}: needs a non-empty rules list")
    return tuple(_condition(r, f"{where}, rule {n}") for n, r in enumerate(rules, 1))


def _condition(rule: Any, where: str) -> Condition:
    if not isinstance(rule, dict):
        raise PlaybookError(f"{where}: must be a table with property, operator and value")
    path, operator, value = rule.get("property"), rule.get("operator"), rule.get("value")
    if not isinstance(path, str) or not path.strip(". "):
        raise PlaybookError(f"{where}: property must be a path such as severity")
    spelled = str(operator).lower().replace(" ", "").replace("_", "").replace("-", "")
    if spelled not in _OPERATOR_SPELLINGS:
        raise PlaybookError(f"{where}: operator must be one of {', '.join(OPERATORS)}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PlaybookError(f"{where}: value must be a string or a number")
    operator = _OPERATOR_SPELLINGS[spelled]
    if _is_severity(path) and operator in ("greater than", "less than"):
        try:
            Severity.parse(value)
        except ValueError as exc:
            raise PlaybookError(f"{where}: {exc}") from exc
    return Condition(path, operator, str(value))


# --- matching ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _squash(name: str) -> str:
    """The spelling-independent form of a name: `alertType`, `alert_type` -> `alerttype`."""
    return name.lower().replace("_", "").replace("-", "")


def _is_severity(path: str) -> bool:
    return _squash(path) == "severity"


@lru_cache(maxsize=1024)
def _parse_path(path: str) -> tuple[str, str]:
    head, _, rest = path.partition(".")
    return _squash(head), rest


_LIST_COLUMNS = ("intent", "techniques")
_ENTITIES = "entities"


def make_facts(row: dict[str, Any], entities: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """What rules match against: the columns by squashed name, entities grouped by type."""
    facts: dict[str, Any] = {_squash(k): v for k, v in row.items()}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for e in entities:
        grouped.setdefault(_squash(e["type"]), []).append(e)
    facts[_ENTITIES] = grouped
    return facts


def resolve(facts: dict[str, Any], path: str) -> list[Any]:
    """Values of a property path in a target's facts (see make_facts)."""
    head, rest = _parse_path(path)
    if head == _ENTITIES:
        kind, _, field = rest.partition(".")
        return [_entity_field(e, field) for e in facts[_ENTITIES].get(_squash(kind), ())]
    if head not in facts:
        return []
    value = facts[head]
    if rest:
        return [_lookup(value, rest)]
    if head in _LIST_COLUMNS and isinstance(value, str):
        return [v for v in value.split(",") if v]
    return value if isinstance(value, list) else [value]


def _entity_field(entity: dict[str, Any], field: str) -> Any:
    squashed = _squash(field)
    if squashed in ("", "display"):
        return entity["display"]
    if squashed == "key":
        return entity["key"]
    return _lookup(entity["data"], field)


def _lookup(value: Any, field: str) -> Any:
    """A key of a JSON object, matched case-insensitively (property names vary by source)."""
    if not isinstance(value, dict):
        return None
    if field in value:
        return value[field]
    return next((v for k, v in value.items() if k.lower() == field.lower()), None)


def _compare(operator: str, actual: Any, expected: str, path: str) -> bool:
    if actual is None:
        return False
    if operator in ("greater than", "less than"):
        order = _ordered(actual, expected, path)
        if order is None:
            return False
        return order > 0 if operator == "greater than" else order < 0
    text, wanted = visible(actual).casefold(), expected.casefold()
    if operator == "equals":
        return text == wanted
    if operator == "contains":
        return wanted in text
    if operator == "starts with":
        return text.startswith(wanted)
    return text.endswith(wanted)


def _ordered(actual: Any, expected: str, path: str) -> int | None:
    """Sign of actual - expected, comparing severities by rank and the rest as numbers."""
    try:
        if _is_severity(path):
            a, b = float(Severity.parse(actual).rank), float(Severity.parse(expected).rank)
        else:
            a, b = float(actual), float(expected)
    except (TypeError, ValueError):
        return None
    return (a > b) - (a < b)


# --- hooks the integrator calls ------------------------------------------------------------------


def on_alerts_created(
    store: Store, config: Config, alert_ids: Iterable[int], *, readonly: bool = False
) -> list[Run]:
    return _fire(store, config, "alert-created", "alert", alert_ids, readonly)


def on_alert_changed(
    store: Store, config: Config, alert_ids: Iterable[int], *, readonly: bool = False
) -> list[Run]:
    return _fire(store, config, "alert-changed", "alert", alert_ids, readonly)


def on_incidents_created(
    store: Store, config: Config, incident_ids: Iterable[int], *, readonly: bool = False
) -> list[Run]:
    return _fire(store, config, "incident-created", "incident", incident_ids, readonly)


def on_incidents_changed(
    store: Store, config: Config, incident_ids: Iterable[int], *, readonly: bool = False
) -> list[Run]:
    return _fire(store, config, "incident-changed", "incident", incident_ids, readonly)


def _fire(
    store: Store,
    config: Config,
    trigger: str,
    target_type: str,
    ids: Iterable[int],
    readonly: bool,
) -> list[Run]:
    """Run every matching rule's playbook, synchronously, once per target and rule."""
    if readonly or store.readonly:
        return []
    playbooks = load_playbooks(config)
    rules = [r for r in load_rules(config, playbooks) if r.enabled and r.trigger == trigger]
    if not rules:
        return []
    runs: list[Run] = []
    ids = list(ids)
    actor = current_user()
    needs = _Needs.of(rules)
    for start in range(0, len(ids), _CHUNK):
        for target_id, facts in _facts(store, target_type, ids[start : start + _CHUNK], needs):
            for rule in rules:
                if not rule.matches(facts):
                    continue
                target = Target(target_type, target_id)
                try:
                    run = run_automatic(
                        store, playbooks[rule.playbook], target, rule.name, trigger, actor
                    )
                except RunInProgressError:
                    continue  # an analyst is running it right now; the rule may fire next time
                if run is not None:
                    runs.append(run)
    return runs


@dataclass(frozen=True, slots=True)
class _Needs:
    """The alert columns and entity types the rules look at: only those are read."""

    columns: tuple[str, ...]
    entity_types: tuple[str, ...]

    @classmethod
    def of(cls, rules: list[AutomationRule]) -> _Needs:
        paths = [c.path for r in rules for s in r.rule_sets for c in s]
        heads = {_parse_path(p)[0] for p in paths}
        kinds = {_squash(_parse_path(p)[1].partition(".")[0]) for p in paths}
        return cls(
            columns=tuple(c for c in runs_store.ALERT_COLUMNS if _squash(c) in heads),
            entity_types=tuple(
                t.value for t in EntityType if _ENTITIES in heads and _squash(t.value) in kinds
            ),
        )


def _facts(
    store: Store, target_type: str, ids: list[int], needs: _Needs
) -> list[tuple[int, dict[str, Any]]]:
    conn = store.conn
    if target_type == "alert":
        rows = runs_store.alert_rows(conn, ids, needs.columns)
        found = [r["id"] for r in rows]
        entities = _entities_of(store, found, needs)
        return [(r["id"], make_facts(r, entities.get(r["id"], ()))) for r in rows]
    out = []
    for incident_id in ids:
        row = runs_store.incident_row(conn, incident_id)
        if row is None:
            continue
        alert_ids = runs_store.incident_alert_ids(conn, incident_id, limit=10_000)
        entities = _entities_of(store, alert_ids, needs)
        unique = {(e["type"], e["key"]): e for es in entities.values() for e in es}
        out.append((incident_id, make_facts(row, unique.values())))
    return out


def _entities_of(store: Store, alert_ids: list[int], needs: _Needs) -> dict[int, list[dict]]:
    if not needs.entity_types:
        return {}
    return runs_store.alert_entities(store.conn, alert_ids, needs.entity_types)
