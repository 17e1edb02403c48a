"""Suppression rules compatible with Defender for Cloud's `alertsSuppressionRules`.

A rule dismisses alerts of one alert type (`*` = all) whose entities meet every condition of its
scope (`suppressionAlertsScope.allOf`). A condition names a dotted entity field and either a list
of values (`in`), a substring (`contains`) or, beyond Defender, an example value whose random parts
may differ (`similar`, with a rapidfuzz threshold).

Dotted fields (`entities.<entity type>.<property>`) map onto `tui.model.EntityType`:

| field                                   | entity type    | compared with                        |
|-----------------------------------------|----------------|--------------------------------------|
| entities.ip.address                     | ip             | strong key (canonical IP)            |
| entities.host.hostname                  | host           | key (lower-cased name or FQDN); a    |
|                                         |                | name also matches `name.<domain>`    |
| entities.account.name                   | account        | data Name, else display without      |
|                                         |                | `DOMAIN\\` / `@domain`                |
| entities.process.commandline            | process        | display (the command line)           |
| entities.file.name                      | file           | last part of the display (the path)  |
| entities.file.hash, entities.filehash.value | filehash   | strong key (lower-case hash)         |
| entities.azure-resource.resourceid      | azure-resource | strong key (lower-cased resource id) |
| entities.url.url                        | url            | display                              |
| entities.dns.domainname                 | dns            | strong key                           |
| entities.mailbox.mailboxprimaryaddress  | mailbox        | strong key                           |
| entities.<type>.<property>              | <type>         | `data[<property>]`, any letter case  |

Every comparison uses the visible form of the alert's value (`tui.model.text.visible`) and is
case-insensitive, so `nightly.exe\\x00 & mimikatz.exe` never equals `nightly.exe`. Rule values
must not hold control or invisible characters themselves: they are written in visible form.
No regular expressions are accepted from users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from tui.engine.suppression_similar import (
    DEFAULT_THRESHOLD,
    MIN_THRESHOLD,
    anchor,
    is_similar,
    shape,
)
from tui.model import EntityType, display, entity_key, visible
from tui.model.clock import iso, parse_iso

ARM_TYPE = "Microsoft.Security/alertsSuppressionRules"
REASONS = ("FalsePositive", "BenignPositive", "ExpectedActivity", "Test", "Other")
ALL_TYPES = "*"
MAX_VALUES = 1_000
MAX_TEXT = 4_096
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,49}")
_PATH_SEP = re.compile(r"[\\/]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class RuleError(ValueError):
    """A rule that cannot be saved or imported; the message names the rule and the reason."""


class RuleState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    EXPIRED = "Expired"


class Op(StrEnum):
    IN = "in"
    CONTAINS = "contains"
    SIMILAR = "similar"


@dataclass(frozen=True, slots=True)
class FieldRef:
    """Where a dotted field's value lives: the entity's strong key, its display text, a
    property of its data, or one of two derived forms (host name, account name)."""

    entity_type: EntityType
    source: str  # key | host | display | basename | account | data
    prop: str = ""


KNOWN_FIELDS: dict[str, FieldRef] = {
    "entities.ip.address": FieldRef(EntityType.IP, "key"),
    "entities.host.hostname": FieldRef(EntityType.HOST, "host"),
    "entities.account.name": FieldRef(EntityType.ACCOUNT, "account"),
    "entities.process.commandline": FieldRef(EntityType.PROCESS, "display"),
    "entities.file.name": FieldRef(EntityType.FILE, "basename"),
    "entities.file.hash": FieldRef(EntityType.FILE_HASH, "key"),
    "entities.filehash.value": FieldRef(EntityType.FILE_HASH, "key"),
    "entities.azure-resource.resourceid": FieldRef(EntityType.AZURE_RESOURCE, "key"),
    "entities.url.url": FieldRef(EntityType.URL, "display"),
    "entities.dns.domainname": FieldRef(EntityType.DNS, "key"),
    "entities.mailbox.mailboxprimaryaddress": FieldRef(EntityType.MAILBOX, "key"),
}


def field_ref(name: str) -> FieldRef:
    known = KNOWN_FIELDS.get(name.lower())
    if known:
        return known
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "entities" and parts[2]:
        try:
            return FieldRef(EntityType(parts[1].lower()), "data", parts[2].lower())
        except ValueError:
            pass
    raise RuleError(
        f"unknown field {name!r}: use entities.<type>.<property>, e.g. "
        f"{', '.join(list(KNOWN_FIELDS)[:4])}"
    )


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only, exactly as SQLite's lower(): SQL pre-filters and Python agree."""
    return text.translate(_ASCII_LOWER)


def _data_value(data: dict[str, Any], prop: str) -> str | None:
    for k, v in data.items():
        if k.lower() == prop and isinstance(v, str | int | float):
            return str(v)
    return None


def _account_name(display: str, data: dict[str, Any]) -> str:
    name = _data_value(data, "name")
    if name:
        return name
    return display.rsplit("\\", 1)[-1].split("@", 1)[0]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a condition needs per entity, computed once: it is checked against every candidate."""

    entity_type: str
    source: str
    prop: str
    exact: frozenset[str]  # strong keys for `in` on a key field
    prefixes: tuple[str, ...]  # `name.` for host names
    folded: frozenset[str]  # case-folded values for `in` on other fields
    needle: str
    text_folded: str
    example_shape: str


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: Op
    values: tuple[str, ...] = ()  # `in`
    text: str = ""  # `contains` needle or `similar` example
    threshold: int = DEFAULT_THRESHOLD  # `similar`
    _plan: _Plan | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def ref(self) -> FieldRef:
        return field_ref(self.field)

    @property
    def plan(self) -> _Plan:
        if self._plan is None:
            object.__setattr__(self, "_plan", self._make_plan())
        return self._plan

    def _make_plan(self) -> _Plan:
        ref = self.ref
        exact: tuple[str, ...] = ()
        if self.op is Op.IN and ref.source in ("key", "host"):
            exact = tuple(k for k in (entity_key(ref.entity_type, v) for v in self.values) if k)
        if self.op is Op.CONTAINS and self.text.isascii():
            needle = ascii_lower(self.text)
        elif self.op is Op.SIMILAR:
            needle = anchor(shape(self.text))
        else:
            needle = ""
        return _Plan(
            entity_type=ref.entity_type.value,
            source=ref.source,
            prop=ref.prop,
            exact=frozenset(exact),
            prefixes=tuple(f"{k}." for k in exact) if ref.source == "host" else (),
            folded=frozenset(v.casefold() for v in self.values),
            needle=needle,
            text_folded=self.text.casefold(),
            example_shape=shape(self.text) if self.op is Op.SIMILAR else "",
        )

    @property
    def entity_type(self) -> str:
        return self.plan.entity_type

    def needle(self) -> str:
        """An ASCII lower-case substring every match contains in its raw stored form (SQL
        pre-filter); empty when the condition has none."""
        return self.plan.needle

    def keys(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(exact keys, key prefixes) for an `in` condition on a key field, else ((), ())."""
        plan = self.plan
        return tuple(sorted(plan.exact)), plan.prefixes

    def raw_value(self, key: str, display: str, data: dict[str, Any] | str | None) -> str:
        """The stored (raw) value this condition looks at in one entity; `data` may still be
        the stored JSON text, parsed only when the field lives there."""
        source = self.plan.source
        if source in ("key", "host"):
            return key
        if source == "display":
            return display
        if source == "basename":
            return _PATH_SEP.split(display)[-1]
        if isinstance(data, str):
            data = orjson.loads(data)
        data = data if isinstance(data, dict) else {}
        if source == "account":
            return _account_name(display, data)
        return _data_value(data, self.plan.prop) or ""

    def matches(self, key: str, display: str, data: dict[str, Any] | str | None = None) -> bool:
        """Whether one entity meets this condition; the single definition every path uses."""
        plan = self.plan
        raw = self.raw_value(key, display, data)
        if not raw:
            return False
        if plan.needle and plan.needle not in ascii_lower(raw):
            return False
        value = visible(raw)
        if self.op is Op.IN:
            if plan.exact:
                return value in plan.exact or value.startswith(plan.prefixes or ("\x00",))
            return value.casefold() in plan.folded
        if self.op is Op.CONTAINS:
            return plan.text_folded in value.casefold()
        return is_similar(plan.example_shape, value, self.threshold)


@dataclass(slots=True)
class Rule:
    name: str
    alert_type: str = ALL_TYPES
    reason: str = "FalsePositive"
    comment: str = ""
    state: RuleState = RuleState.ENABLED
    expiration_date_utc: str = ""
    conditions: tuple[Condition, ...] = ()
    id: int | None = None
    arm_id: str = ""
    last_modified_utc: str = ""
    author: str = ""
    created_at: str = ""
    hits: int = 0
    last_hit_utc: str = ""
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # unknown Defender properties, kept

    def effective_state(self, now: str) -> RuleState:
        """Expired once the expiration date has passed, whatever the stored state says."""
        expiry = self.expiration_date_utc
        if self.state is RuleState.ENABLED and expiry and expiry <= now:
            return RuleState.EXPIRED
        return self.state

    def is_active(self, now: str) -> bool:
        return self.effective_state(now) is RuleState.ENABLED

    def matches_type(self, alert_type: str) -> bool:
        return self.alert_type == ALL_TYPES or self.alert_type == alert_type

    def with_changes(self, **changes: Any) -> Rule:
        return replace(self, **changes)


def describe(cond: Condition, limit: int = 120) -> str:
    """One line for lists and forms, in visible form: `entities.ip.address in 1.2.3.4, ...`."""
    if cond.op is Op.IN:
        what = ", ".join(cond.values)
    elif cond.op is Op.CONTAINS:
        what = f'"{cond.text}"'
    else:
        what = f'"{cond.text}" (≥{cond.threshold})'
    return display(f"{cond.field} {cond.op.value} {what}", limit)


def validate(rule: Rule) -> Rule:
    """Return `rule` if it can be saved; raise RuleError naming the rule and the reason."""
    label = f"rule {visible(rule.name)!r}"
    if not _NAME.fullmatch(rule.name):
        raise RuleError(
            f"{label}: name must be 2-50 letters, digits, '-' or '_', starting with a letter or "
            "digit"
        )
    if not rule.alert_type or _has_unsafe(rule.alert_type):
        raise RuleError(f"{label}: alert type is empty or holds control characters")
    if not rule.reason.strip() or len(rule.reason) > 200 or _has_unsafe(rule.reason):
        raise RuleError(f"{label}: reason must be 1-200 printable characters")
    if len(rule.comment) > MAX_TEXT:
        raise RuleError(f"{label}: comment longer than {MAX_TEXT} characters")
    return validate_scope(rule)


def validate_scope(rule: Rule) -> Rule:
    """Check what the rule matches (alert type and conditions), not its name or texts: enough
    to simulate a draft."""
    label = f"rule {visible(rule.name)!r}"
    if rule.alert_type == ALL_TYPES and not rule.conditions:
        raise RuleError(f"{label}: alert type '*' without conditions would suppress every alert")
    for cond in rule.conditions:
        _validate_condition(label, cond)
    return rule


def _has_unsafe(text: str) -> bool:
    return visible(text) != text


def _validate_condition(label: str, cond: Condition) -> None:
    try:
        cond.ref  # noqa: B018 - raises RuleError for an unknown field
    except RuleError as exc:
        raise RuleError(f"{label}: {exc}") from None
    where = f"{label}, condition on {cond.field}"
    texts = cond.values if cond.op is Op.IN else (cond.text,)
    if cond.op is Op.IN and not 1 <= len(cond.values) <= MAX_VALUES:
        raise RuleError(f"{where}: 'in' needs 1 to {MAX_VALUES} values")
    for text in texts:
        if not text.strip():
            raise RuleError(f"{where}: empty value")
        if len(text) > MAX_TEXT:
            raise RuleError(f"{where}: value longer than {MAX_TEXT} characters")
        if _has_unsafe(text):
            raise RuleError(
                f"{where}: value {visible(text)!r} holds control or invisible characters; "
                "write them in their visible form"
            )
    ref = cond.ref
    if cond.op is Op.IN and ref.source in ("key", "host"):
        for value in cond.values:
            if entity_key(ref.entity_type, value) is None:
                raise RuleError(
                    f"{where}: {visible(value)!r} can never match (not a valid "
                    f"{ref.entity_type.value} value, or a placeholder such as 0.0.0.0)"
                )
    if cond.op is Op.SIMILAR and not MIN_THRESHOLD <= cond.threshold <= 100:
        raise RuleError(f"{where}: similarity threshold must be {MIN_THRESHOLD}-100")


# ---- Defender JSON --------------------------------------------------------------------------


def condition_from_json(obj: Any, label: str) -> Condition:
    if not isinstance(obj, dict) or not isinstance(obj.get("field"), str):
        raise RuleError(f"{label}: every condition needs a 'field' string")
    name = obj["field"]
    if isinstance(obj.get("in"), list) and all(isinstance(v, str) for v in obj["in"]):
        return Condition(name, Op.IN, values=tuple(obj["in"]))
    if isinstance(obj.get("contains"), str):
        return Condition(name, Op.CONTAINS, text=obj["contains"])
    if isinstance(obj.get("similar"), str):
        threshold = obj.get("threshold", DEFAULT_THRESHOLD)
        if not isinstance(threshold, int):
            raise RuleError(f"{label}: threshold of {name} must be an integer")
        return Condition(name, Op.SIMILAR, text=obj["similar"], threshold=threshold)
    raise RuleError(
        f"{label}: condition on {name} needs 'in' (list of strings), 'contains' or 'similar'"
    )


def condition_to_json(cond: Condition) -> dict[str, Any]:
    if cond.op is Op.IN:
        return {"field": cond.field, "in": list(cond.values)}
    if cond.op is Op.CONTAINS:
        return {"field": cond.field, "contains": cond.text}
    return {"field": cond.field, "similar": cond.text, "threshold": cond.threshold}


def _utc(value: Any, label: str, what: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise RuleError(f"{label}: {what} must be an ISO 8601 date")
    try:
        return iso(parse_iso(value))
    except ValueError:
        raise RuleError(f"{label}: {what} {visible(value)!r} is not an ISO 8601 date") from None


_KNOWN_PROPERTIES = {
    "alertType",
    "comment",
    "expirationDateUtc",
    "lastModifiedUtc",
    "reason",
    "state",
    "suppressionAlertsScope",
}


def rule_from_defender(obj: Any) -> Rule:
    """One `alertsSuppressionRules` resource -> Rule (validated)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("properties"), dict):
        raise RuleError("a suppression rule needs 'name' and 'properties'")
    name = obj.get("name")
    label = f"rule {visible(name)!r}"
    if not isinstance(name, str):
        raise RuleError(f"{label}: 'name' must be a string")
    props = obj["properties"]
    try:
        state = RuleState(props.get("state", "Enabled"))
    except ValueError:
        raise RuleError(f"{label}: state must be Enabled, Disabled or Expired") from None
    scope = props.get("suppressionAlertsScope") or {}
    all_of = scope.get("allOf", []) if isinstance(scope, dict) else None
    if not isinstance(all_of, list):
        raise RuleError(f"{label}: suppressionAlertsScope.allOf must be a list")
    for key in ("alertType", "reason", "comment"):
        if not isinstance(props.get(key, ""), str):
            raise RuleError(f"{label}: {key} must be a string")
    rule = Rule(
        name=name,
        alert_type=props.get("alertType") or "",
        reason=props.get("reason") or "",
        comment=props.get("comment", ""),
        state=state,
        expiration_date_utc=_utc(props.get("expirationDateUtc"), label, "expirationDateUtc"),
        conditions=tuple(condition_from_json(c, label) for c in all_of),
        arm_id=obj.get("id", "") if isinstance(obj.get("id"), str) else "",
        last_modified_utc=_utc(props.get("lastModifiedUtc"), label, "lastModifiedUtc"),
        extra={k: v for k, v in props.items() if k not in _KNOWN_PROPERTIES},
    )
    return validate(rule)


def rule_to_defender(rule: Rule) -> dict[str, Any]:
    props: dict[str, Any] = {"alertType": rule.alert_type}
    if rule.comment:
        props["comment"] = rule.comment
    if rule.expiration_date_utc:
        props["expirationDateUtc"] = rule.expiration_date_utc
    if rule.last_modified_utc:
        props["lastModifiedUtc"] = rule.last_modified_utc
    props["reason"] = rule.reason
    props["state"] = rule.state.value
    if rule.conditions:
        props["suppressionAlertsScope"] = {"allOf": [condition_to_json(c) for c in rule.conditions]}
    props.update(rule.extra)
    out: dict[str, Any] = {"name": rule.name, "type": ARM_TYPE}
    if rule.arm_id:
        out["id"] = rule.arm_id
    out["properties"] = props
    return out


def load_defender(text: str | bytes) -> list[Rule]:
    """Rules from Defender JSON: a list response (`{"value": [...]}`), a REST example document,
    an array, or one rule."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RuleError(f"not valid JSON ({exc})") from None
    if isinstance(doc, dict) and "responses" in doc:
        doc = next(iter(doc["responses"].values()), {}).get("body", {})
    if isinstance(doc, dict) and "value" in doc:
        doc = doc["value"]
    items = doc if isinstance(doc, list) else [doc]
    rules = [rule_from_defender(item) for item in items]
    names = [r.name.lower() for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuleError(f"rule names appear twice: {', '.join(duplicates)}")
    return rules


def dump_defender(rules: list[Rule]) -> bytes:
    return orjson.dumps({"value": [rule_to_defender(r) for r in rules]}, option=orjson.OPT_INDENT_2)


def parse_datetime_arg(text: str) -> str:
    """An expiry given by an analyst: ISO date or date-time, as the store's UTC form."""
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RuleError(f"expiry {visible(text)!r} is not a date (YYYY-MM-DD)") from None
    return iso(dt)
