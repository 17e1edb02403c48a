"""`threatdesk rules`: list, show, import, export, simulate, enable, disable and delete
suppression rules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tui.commands.common import open_store
from tui.engine import suppression as sup
from tui.engine.suppression_rule import (
    ALL_TYPES,
    Condition,
    Op,
    Rule,
    RuleError,
    RuleState,
    dump_defender,
    load_defender,
)
from tui.model import display, visible
from tui.model.clock import utcnow
from tui.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="suppression rules (Defender for Cloud compatible)")
    rules = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)

    rules.add_parser("list", help="every rule with state, hits, last hit, expiry, author")

    show = rules.add_parser("show", help="one rule, as Defender JSON, and the alerts it dismissed")
    show.add_argument("name", help="rule name or id")

    imp = rules.add_parser("import", help="create or replace rules from Defender JSON")
    imp.add_argument("file", type=Path)
    imp.add_argument("--apply", action="store_true", help="also dismiss existing open matches")
    imp.add_argument(
        "--force", action="store_true", help="with --apply: dismiss even past warnings"
    )

    exp = rules.add_parser("export", help="write rules as Defender JSON")
    exp.add_argument("names", nargs="*", help="rules to export (default: all)")
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    sim = rules.add_parser(
        "simulate",
        help="count (first line) and list the open alerts a rule would dismiss",
        description="Give a rule file, a rule name, or conditions as options.",
    )
    sim.add_argument("source", nargs="?", help="Defender JSON file or existing rule name")
    sim.add_argument("--alert-type", default=None, help="alert type ('*' = all)")
    sim.add_argument(
        "--entity",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="in-condition, e.g. ip.address=1.2.3.4 (repeat to add values)",
    )
    sim.add_argument("--contains", action="append", default=[], metavar="FIELD=TEXT")
    sim.add_argument("--similar", action="append", default=[], metavar="FIELD=EXAMPLE")
    sim.add_argument("--limit", type=int, default=20, help="alerts to list (default 20)")

    for action, helptext in (("disable", "disable a rule"), ("delete", "delete a rule")):
        q = rules.add_parser(action, help=f"{helptext}; say what happens to its dismissed alerts")
        q.add_argument("name", help="rule name or id")
        choice = q.add_mutually_exclusive_group(required=True)
        choice.add_argument(
            "--reactivate", action="store_true", help="reopen the alerts this rule dismissed"
        )
        choice.add_argument(
            "--keep-dismissed",
            action="store_true",
            help="leave the alerts it dismissed as they are",
        )

    en = rules.add_parser("enable", help="enable a disabled rule (new alerts only)")
    en.add_argument("name", help="rule name or id")
    p.set_defaults(func=run)


_WRITES = {"import", "disable", "delete", "enable"}


def run(args: argparse.Namespace) -> int:
    if args.readonly and args.rules_command in _WRITES:
        print(f"threatdesk: rules {args.rules_command} changes data (--readonly)", file=sys.stderr)
        return 2
    store = open_store(args)
    try:
        return _COMMANDS[args.rules_command](store, args)
    except RuleError as exc:
        print(f"threatdesk: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _list(store: Store, _args: argparse.Namespace) -> int:
    now = utcnow()
    rules = sup.list_rules(store)
    width = max((len(r.name) for r in rules), default=4)
    print(
        f"{'NAME':<{width}} {'STATE':<9} {'ALERT TYPE':<28} {'HITS':>7} {'LAST HIT':<17}"
        f" {'EXPIRES':<17} AUTHOR"
    )
    for rule in rules:
        print(
            f"{rule.name:<{width}} {rule.effective_state(now).value:<9} "
            f"{display(rule.alert_type, 28):<28} {rule.hits:>7} {rule.last_hit_utc[:16]:<17}"
            f" {rule.expiration_date_utc[:16] or 'never':<17} {display(rule.author, 40)}"
        )
    return 0


def _show(store: Store, args: argparse.Namespace) -> int:
    rule = sup.get_rule(store, args.name)
    state = rule.effective_state(utcnow()).value
    print(
        f"{rule.name}: {state}, {rule.hits} hit(s), author {display(rule.author)}, "
        f"version {rule.version}"
    )
    print(visible(dump_defender([rule]).decode(), multiline=True))
    dismissed = sup.dismissed_alerts(store, rule)
    print(f"\n{len(dismissed)} alert(s) dismissed by this rule")
    _print_alerts(store, dismissed, 50)
    return 0


def _print_alerts(store: Store, alert_ids: list[int], limit: int) -> None:
    for row in sup.alert_summaries(store, alert_ids, limit):
        print(
            f"  {row['id']:>8}  {row['start_time_utc'][:19]}  {row['severity']:<13} "
            f"{row['status']:<10} {display(row['alert_type'], 40):<40} "
            f"{display(row['alert_display_name'], 80)}"
        )
    if len(alert_ids) > limit:
        print(f"  … and {len(alert_ids) - limit} more")


def _import(store: Store, args: argparse.Namespace) -> int:
    rules = load_defender(_read(args.file))
    for result, created in sup.import_rules(store, rules, apply_existing=False):
        rule = result.rule
        state = rule.effective_state(utcnow())
        print(f"{'created' if created else 'replaced'} {rule.name} ({state.value})")
        if state is RuleState.ENABLED:
            _apply_imported(store, rule, args)
    return 0


def _apply_imported(store: Store, rule: Rule, args: argparse.Namespace) -> None:
    """Dismiss an imported rule's existing matches when asked, but never past a warning
    (High-severity alerts, alerts in open incidents) without --force."""
    sim = sup.simulate(store, rule)
    if not sim.count:
        return
    for warning in sim.warnings:
        print(f"  warning: {warning}")
    if not args.apply:
        print(f"  {sim.count} existing open alert(s) match; --apply dismisses them")
    elif sim.warnings and not args.force:
        print("  existing alerts left alone because of the warnings; --force dismisses them")
    else:
        print(f"  dismissed {len(sup.apply(store, rule))} existing alert(s)")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{path}: cannot read ({exc.strerror})") from None


def _export(store: Store, args: argparse.Namespace) -> int:
    rules = [sup.get_rule(store, n) for n in args.names] if args.names else sup.list_rules(store)
    data = dump_defender(rules) + b"\n"
    if args.output:
        args.output.write_bytes(data)
        print(f"wrote {len(rules)} rule(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(data.decode())
    return 0


def _option_conditions(args: argparse.Namespace) -> tuple[Condition, ...]:
    values: dict[str, list[str]] = {}
    for item in args.entity:
        name, value = _field_value(item, "--entity")
        values.setdefault(name, []).append(value)
    conditions = [Condition(name, Op.IN, values=tuple(v)) for name, v in values.items()]
    for item in args.contains:
        name, text = _field_value(item, "--contains")
        conditions.append(Condition(name, Op.CONTAINS, text=text))
    for item in args.similar:
        name, text = _field_value(item, "--similar")
        conditions.append(Condition(name, Op.SIMILAR, text=text))
    return tuple(conditions)


def _field_value(item: str, option: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise RuleError(
            f"{option} {visible(item)!r}: expected FIELD=VALUE, e.g. ip.address=1.2.3.4"
        )
    return (name if name.startswith("entities.") else f"entities.{name}"), value


def _simulated_rule(store: Store, args: argparse.Namespace) -> Rule:
    options = _option_conditions(args)
    if args.source:
        path = Path(args.source)
        if path.exists():
            rules = load_defender(_read(path))
            if len(rules) != 1:
                raise RuleError(f"{path}: holds {len(rules)} rules; simulate takes one")
            base = rules[0]
        else:
            base = sup.get_rule(store, args.source)
        return base.with_changes(
            alert_type=args.alert_type or base.alert_type,
            conditions=base.conditions + options,
        )
    return Rule("simulation", args.alert_type or ALL_TYPES, conditions=options)


def _simulate(store: Store, args: argparse.Namespace) -> int:
    sim = sup.simulate(store, _simulated_rule(store, args))
    print(f"{sim.count} matching alert(s)")
    for warning in sim.warnings:
        print(f"warning: {warning}")
    _print_alerts(store, sim.alert_ids, args.limit)
    return 0


def _set_state(store: Store, args: argparse.Namespace, state: RuleState) -> int:
    rule = sup.get_rule(store, args.name)
    reactivate = bool(getattr(args, "reactivate", False))
    outcome = _outcome(store, rule, reactivate)
    revived = sup.set_state(store, rule, state, reactivate=reactivate)
    print(f"{rule.name}: {state.value}{outcome(revived)}")
    return 0


def _delete(store: Store, args: argparse.Namespace) -> int:
    rule = sup.get_rule(store, args.name)
    outcome = _outcome(store, rule, args.reactivate)
    revived = sup.delete_rule(store, rule, reactivate=args.reactivate)
    print(f"{rule.name}: deleted{outcome(revived)}")
    return 0


def _outcome(store: Store, rule: Rule, reactivate: bool) -> Callable[[list[int]], str]:
    """How to report what happened to the rule's dismissed alerts."""
    if reactivate:
        return lambda revived: f"; reactivated {len(revived)} alert(s)"
    kept = len(sup.dismissed_alerts(store, rule))
    return lambda _revived: f"; {kept} alert(s) it dismissed stay dismissed" if kept else ""


_COMMANDS = {
    "list": _list,
    "show": _show,
    "import": _import,
    "export": _export,
    "simulate": _simulate,
    "enable": lambda s, a: _set_state(s, a, RuleState.ENABLED),
    "disable": lambda s, a: _set_state(s, a, RuleState.DISABLED),
    "delete": _delete,
}
