"""Suppression: simulate a rule over past alerts, save it, apply it, and undo it.

`matching_alert_ids` decides which stored alerts a rule matches (simulate, apply), and
`suppression_ingest` screens new alerts as they are written; every value comparison on both
paths goes through `Condition.matches`, so what simulate shows is what apply and ingest do.
A rule dismisses only open alerts (Active, InProgress); closed ones carry an analyst's verdict
and are left alone.
Nothing is deleted: dismissed alerts keep `suppressed_by_rule`, and disabling or deleting a rule
asks whether to reactivate them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from tui.config import current_user
from tui.engine.suppression_rule import (
    ALL_TYPES,
    KNOWN_FIELDS,
    Condition,
    Op,
    Rule,
    RuleError,
    RuleState,
    condition_from_json,
    condition_to_json,
    rule_to_defender,
    validate,
    validate_scope,
)
from tui.engine.suppression_similar import DEFAULT_THRESHOLD, is_similar, shape
from tui.model import Classification, EntityType, Severity, visible
from tui.model.clock import iso, utcnow
from tui.store import Store, StoreError, audit, transaction
from tui.store import suppression as db

ENGINE_ACTOR = "threatdesk"
DEFAULT_LIFETIME = timedelta(days=30)
_CLASSIFICATION = {
    "FalsePositive": Classification.FALSE_POSITIVE,
    "BenignPositive": Classification.BENIGN_POSITIVE,
    "ExpectedActivity": Classification.BENIGN_POSITIVE,
    "Test": Classification.BENIGN_POSITIVE,
}


# ---- rows <-> rules -------------------------------------------------------------------------


def rule_from_row(row: dict[str, Any]) -> Rule:
    label = f"rule {row['name']!r}"
    return Rule(
        name=row["name"],
        alert_type=row["alert_type"],
        reason=row["reason"],
        comment=row["comment"],
        state=RuleState(row["state"]),
        expiration_date_utc=row["expiration_date_utc"],
        conditions=tuple(condition_from_json(c, label) for c in orjson.loads(row["conditions"])),
        id=row["id"],
        arm_id=row["arm_id"],
        last_modified_utc=row["last_modified_utc"],
        author=row["author"],
        created_at=row["created_at"],
        hits=row["hits"],
        last_hit_utc=row["last_hit_utc"],
        version=row["version"],
        extra=orjson.loads(row["extra"]),
    )


def _row_values(rule: Rule, actor: str, now: str) -> dict[str, Any]:
    return {
        "name": rule.name,
        "alert_type": rule.alert_type,
        "reason": rule.reason,
        "comment": rule.comment,
        "state": rule.state.value,
        "expiration_date_utc": rule.expiration_date_utc,
        "conditions": orjson.dumps([condition_to_json(c) for c in rule.conditions]).decode(),
        "extra": orjson.dumps(rule.extra).decode(),
        "arm_id": rule.arm_id,
        "last_modified_utc": rule.last_modified_utc or now,
        "modified_by": actor,
        "author": rule.author or actor,
        "created_at": rule.created_at or now,
    }


def list_rules(store: Store) -> list[Rule]:
    return [rule_from_row(r) for r in db.rule_rows(store.conn)]


def get_rule(store: Store, ref: str | int) -> Rule:
    """A live rule by name, or any rule (deleted too) by id."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = db.rule_row(store.conn, rule_id=int(ref))
    else:
        row = db.rule_row(store.conn, name=ref)
    if row is None:
        raise StoreError(f"no suppression rule {visible(ref)!r}")
    return rule_from_row(row)


# ---- matching -------------------------------------------------------------------------------


def _needle(cond: Condition) -> tuple[str, str]:
    """(needle, column) for the SQL pre-filter: only where the value is a stored column."""
    source = cond.plan.source
    if source not in ("key", "host", "display") or cond.plan.exact:
        return "", "display"
    return cond.needle(), "display" if source == "display" else "key"


def _with_data(cond: Condition) -> bool:
    return cond.plan.source in ("account", "data")


def _matching_entities(conn: Any, cond: Condition) -> list[int]:
    """Every entity in the store that meets `cond` (SQL narrows, Python decides)."""
    exact, prefixes = cond.keys()
    needle, column = _needle(cond)
    rows = db.entity_candidates(
        conn,
        cond.entity_type,
        keys=exact,
        prefixes=prefixes,
        needle=needle,
        needle_column=column,
        with_data=_with_data(cond),
    )
    return [eid for eid, key, disp, data in rows if cond.matches(key, disp, data)]


def _keep_matching(conn: Any, alert_ids: list[int], cond: Condition) -> set[int]:
    """The alerts among `alert_ids` with an entity that meets `cond`; each entity is checked
    once however many alerts share it."""
    needle, column = _needle(cond)
    rows = db.linked_entities(
        conn,
        alert_ids,
        cond.entity_type,
        needle=needle,
        needle_column=column,
        with_data=_with_data(cond),
    )
    verdicts: dict[int, bool] = {}
    matched = set()
    for alert_id, eid, key, disp, data in rows:
        verdict = verdicts.get(eid)
        if verdict is None:
            verdict = verdicts[eid] = cond.matches(key, disp, data)
        if verdict:
            matched.add(alert_id)
    return matched


def matching_alert_ids(store: Store, rule: Rule) -> list[int]:
    """The open stored alerts (ascending ids) that `rule` matches: those it would dismiss."""
    return [alert_id for alert_id, _rank in _matches(store, rule)]


def _matches(store: Store, rule: Rule) -> list[tuple[int, int]]:
    """(id, severity rank) of the open alerts `rule` matches.

    Conditions on strong keys (IP, host, hash, resource id, ...) become entity ids through the
    (type, key) index and are joined in SQL with the alert type; the other conditions are then
    checked in Python on the entities of the remaining candidates only. Without a key
    condition, the first condition is evaluated over its entity type instead, so no path walks
    every alert.
    """
    conn = store.conn
    alert_type = None if rule.alert_type == ALL_TYPES else rule.alert_type
    keyed = [c for c in rule.conditions if c.plan.exact]
    others = [c for c in rule.conditions if not c.plan.exact]
    if not keyed and others:
        # Nothing narrows by key: one pass over the entities of the first condition's type is
        # cheaper than visiting the entities of every alert of the type.
        keyed, others = [others[0]], others[1:]
    entity_sets = []
    for cond in keyed:
        found = _matching_entities(conn, cond)
        if not found:
            return []
        entity_sets.append(found)
    candidates = db.candidate_alerts(conn, alert_type, entity_sets)
    for cond in others:
        if not candidates:
            break
        kept = _keep_matching(conn, [c[0] for c in candidates], cond)
        candidates = [c for c in candidates if c[0] in kept]
    return candidates


@dataclass
class Simulation:
    """What saving and applying a rule now would do."""

    alert_ids: list[int]
    high: int = 0
    in_open_incident: int = 0

    @property
    def count(self) -> int:
        return len(self.alert_ids)

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.high:
            out.append(f"would dismiss {self.high} High-severity alert(s)")
        if self.in_open_incident:
            out.append(f"would dismiss {self.in_open_incident} alert(s) inside an open incident")
        return out


def simulate(store: Store, rule: Rule) -> Simulation:
    """The open past alerts `rule` would dismiss, with the warnings they raise."""
    found = _matches(store, validate_scope(rule))
    ids = [alert_id for alert_id, _rank in found]
    high = sum(1 for _id, rank in found if rank == Severity.HIGH.rank)
    in_incident = len(db.open_incident_alert_ids(store.conn).intersection(ids)) if ids else 0
    return Simulation(ids, high, in_incident)


def alert_summaries(store: Store, alert_ids: Sequence[int], limit: int = 200) -> list[dict]:
    """Rows for a preview or a rule's page: the `limit` latest imported of `alert_ids`
    (ascending ids), newest first, so 300k matches cost 200 row reads. Text is raw: show it
    via visible()."""
    return db.alert_summaries(store.conn, sorted(alert_ids)[-limit:], limit)


def dismissed_alerts(store: Store, rule: Rule) -> list[int]:
    """Every alert this rule dismissed that is still dismissed by it."""
    return db.dismissed_by(store.conn, rule.id)


# ---- effect ---------------------------------------------------------------------------------


def dismissal(rule: Rule) -> tuple[str, str]:
    """(classification, comment) an alert dismissed by `rule` records."""
    classification = _CLASSIFICATION.get(rule.reason, Classification.UNDETERMINED)
    note = f"Suppressed by rule {rule.name}" + (f": {rule.comment}" if rule.comment else "")
    return classification.value, note


def _dismiss(conn: Any, rule: Rule, alert_ids: Sequence[int], actor: str, now: str) -> list[int]:
    """Inside a transaction: dismiss, count the hits, write the audit row."""
    if not alert_ids:
        return []
    done = db.dismiss(conn, alert_ids, rule.id, *dismissal(rule), now)
    record_hits(conn, rule, done, actor, now)
    return done


def record_hits(conn: Any, rule: Rule, done: list[int], actor: str, now: str) -> None:
    """Inside the transaction that dismissed `done`: count the hits, write the audit row."""
    if done:
        db.record_hits(conn, rule.id, len(done), now)
        audit.record(
            conn,
            actor,
            "suppression.dismiss",
            "suppression_rule",
            rule.id,
            # The rule's author is named too: at ingest the actor is the engine.
            after={"rule": rule.name, "author": rule.author, "count": len(done), "alert_ids": done},
        )


def apply(store: Store, rule: Rule, actor: str | None = None) -> list[int]:
    """Dismiss the existing open alerts a saved, active rule matches; return their ids.

    Matching runs under the write lock, so what is dismissed is exactly what `simulate` would
    report at that moment.
    """
    if rule.id is None:
        raise RuleError(f"rule {rule.name!r} must be saved before it is applied")
    now = utcnow()
    if not rule.is_active(now):
        raise RuleError(f"rule {rule.name!r} is {rule.effective_state(now).value}")
    conn = store.conn
    with transaction(conn):
        return _dismiss(conn, rule, matching_alert_ids(store, rule), actor or current_user(), now)


# ---- rule changes ---------------------------------------------------------------------------


@dataclass
class SaveResult:
    rule: Rule
    dismissed: list[int] = field(default_factory=list)


def save_rule(
    store: Store,
    rule: Rule,
    *,
    apply_existing: bool,
    actor: str | None = None,
    keep_modified_time: bool = False,
) -> SaveResult:
    """Create (rule.id None) or update a rule, optionally dismissing its existing matches in the
    same transaction. An update made on a stale version raises ConflictError.
    `keep_modified_time` keeps an imported rule's lastModifiedUtc so export round-trips."""
    validate(rule)
    actor = actor or current_user()
    now = utcnow()
    conn = store.conn
    values = _row_values(rule, actor, now)
    if not keep_modified_time:
        values["last_modified_utc"] = now
    with transaction(conn):
        if rule.id is None:
            rule_id = db.insert_rule(conn, values)
            audit.record(
                conn,
                actor,
                "suppression.rule.create",
                "suppression_rule",
                rule_id,
                after=rule_to_defender(rule),
            )
        else:
            before = db.rule_row(conn, rule_id=rule.id)
            rule_id = rule.id
            db.update_rule(conn, rule_id, values, rule.version)
            audit.record(
                conn,
                actor,
                "suppression.rule.update",
                "suppression_rule",
                rule_id,
                before=rule_to_defender(rule_from_row(before)) if before else None,
                after=rule_to_defender(rule),
            )
        saved = rule_from_row(db.rule_row(conn, rule_id=rule_id))
        dismissed = []
        if apply_existing and saved.is_active(now):
            dismissed = _dismiss(conn, saved, matching_alert_ids(store, saved), actor, now)
    return SaveResult(rule_from_row(db.rule_row(conn, rule_id=rule_id)), dismissed)


def import_rules(
    store: Store, rules: Sequence[Rule], *, apply_existing: bool, actor: str | None = None
) -> list[tuple[SaveResult, bool]]:
    """Create or replace (same name) each rule; return (result, created) per rule."""
    out = []
    for rule in rules:
        existing = db.rule_row(store.conn, name=rule.name)
        if existing is not None:
            rule = rule.with_changes(
                id=existing["id"],
                version=existing["version"],
                author=existing["author"],
                created_at=existing["created_at"],
            )
        result = save_rule(
            store,
            rule,
            apply_existing=apply_existing,
            actor=actor,
            keep_modified_time=bool(rule.last_modified_utc),
        )
        out.append((result, existing is None))
    return out


def _reactivate(conn: Any, rule: Rule, actor: str, now: str) -> list[int]:
    revived = db.reactivate(conn, rule.id, now)
    if revived:
        audit.record(
            conn,
            actor,
            "suppression.reactivate",
            "suppression_rule",
            rule.id,
            after={"rule": rule.name, "count": len(revived), "alert_ids": revived},
        )
    return revived


def set_state(
    store: Store, rule: Rule, state: RuleState, *, reactivate: bool, actor: str | None = None
) -> list[int]:
    """Enable or disable a rule. `reactivate` (asked of the analyst, never defaulted) reopens
    the alerts it dismissed; return the reopened ids."""
    if state is RuleState.EXPIRED:
        raise RuleError("a rule expires by its expiration date, not by hand")
    actor = actor or current_user()
    now = utcnow()
    changed = rule.with_changes(state=state)
    conn = store.conn
    with transaction(conn):
        db.update_rule(
            conn,
            rule.id,
            _row_values(changed, actor, now) | {"last_modified_utc": now},
            rule.version,
        )
        audit.record(
            conn,
            actor,
            f"suppression.rule.{state.value.lower()}",
            "suppression_rule",
            rule.id,
            before={"state": rule.state.value},
            after={"state": state.value},
        )
        return _reactivate(conn, rule, actor, now) if reactivate else []


def delete_rule(
    store: Store, rule: Rule, *, reactivate: bool, actor: str | None = None
) -> list[int]:
    """Delete a rule (its row stays, marked deleted, so dismissed alerts still name it).
    `reactivate` reopens the alerts it dismissed; return the reopened ids."""
    actor = actor or current_user()
    now = utcnow()
    conn = store.conn
    with transaction(conn):
        db.mark_deleted(conn, rule.id, rule.version, actor, now)
        audit.record(
            conn,
            actor,
            "suppression.rule.delete",
            "suppression_rule",
            rule.id,
            before=rule_to_defender(rule),
            after={"reactivate": reactivate},
        )
        return _reactivate(conn, rule, actor, now) if reactivate else []


# ---- proposal -------------------------------------------------------------------------------

# Entity types whose strong key is the value an `in` condition compares.
_KEY_FIELDS = {
    ref.entity_type: name
    for name, ref in KNOWN_FIELDS.items()
    if ref.source in ("key", "host", "account")
}
_KEY_FIELDS[EntityType.FILE_HASH] = "entities.file.hash"
_TEXT_FIELDS = {
    EntityType.PROCESS: "entities.process.commandline",
    EntityType.URL: "entities.url.url",
}
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def target_alert_ids(store: Store, targets: Sequence[tuple[str, int]]) -> list[int]:
    """The alerts behind a selection of ("alert" | "incident", id) targets."""
    alerts = {i for kind, i in targets if kind == "alert"}
    incidents = [i for kind, i in targets if kind == "incident"]
    if incidents:
        alerts.update(db.incident_alert_ids(store.conn, incidents))
    return sorted(alerts)


def propose_rule(store: Store, alert_ids: Sequence[int]) -> Rule:
    """The form's starting point for "suppress similar alerts" from the selected alerts: their
    alert type, the entities they all share, and a `similar` condition for command lines or
    URLs that differ only in random parts."""
    if not alert_ids:
        raise RuleError("select at least one alert to suppress")
    rows = db.alert_entity_rows(store.conn, alert_ids)
    if not rows:
        raise StoreError("none of the selected alerts exists")
    types = {row[1] for row in rows}
    per_alert: dict[int, set[tuple[str, str, str]]] = {}
    for aid, _t, _s, eid, etype, key, disp, _d in rows:
        entities = per_alert.setdefault(aid, set())
        if eid is not None:
            entities.add((etype, key, disp))
    conditions = [*_shared_key_conditions(per_alert), *_text_conditions(per_alert)]
    alert_type = types.pop() if len(types) == 1 else ALL_TYPES
    return Rule(
        name=_free_name(store, alert_type),
        alert_type=alert_type,
        reason="FalsePositive",
        conditions=tuple(conditions),
        expiration_date_utc=iso(datetime.now(UTC) + DEFAULT_LIFETIME),
        author=current_user(),
    )


def _shared_key_conditions(per_alert: dict[int, set[tuple[str, str, str]]]) -> list[Condition]:
    shared = set.intersection(*per_alert.values())
    values: dict[str, list[str]] = defaultdict(list)
    for etype, key, disp in sorted(shared):
        name = _KEY_FIELDS.get(EntityType(etype))
        if name:
            value = disp if name == "entities.account.name" else key
            values[name].append(visible(value))
    return [Condition(name, Op.IN, values=tuple(v)) for name, v in values.items()]


def _text_conditions(per_alert: dict[int, set[tuple[str, str, str]]]) -> list[Condition]:
    out = []
    for etype, name in _TEXT_FIELDS.items():
        texts = [
            sorted(visible(d) for t, _k, d in ents if t == etype.value)
            for ents in per_alert.values()
        ]
        if not texts or not all(texts):
            continue
        firsts = [t[0] for t in texts]
        if len(set(firsts)) == 1:
            out.append(Condition(name, Op.IN, values=(firsts[0],)))
        elif all(is_similar(shape(firsts[0]), t, DEFAULT_THRESHOLD) for t in firsts[1:]):
            out.append(Condition(name, Op.SIMILAR, text=firsts[0]))
    return out


def _free_name(store: Store, alert_type: str) -> str:
    base = "suppress-" + ("similar" if alert_type == ALL_TYPES else alert_type)
    base = _NAME_CHARS.sub("-", base)[:46].rstrip("-_")
    name, n = base, 1
    while db.rule_row(store.conn, name=name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
