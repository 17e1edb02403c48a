"""`threatdesk playbooks list|run|runs|retry|show|rules`: automated responses from the shell."""

from __future__ import annotations

import argparse
import sys

from tui.commands.common import config, open_store
from tui.config import current_user
from tui.engine.automation import load_rules
from tui.engine.playbooks import (
    READONLY_MESSAGE,
    PlaybookError,
    Run,
    Target,
    get_run,
    list_runs,
    load_playbooks,
    outcome_line,
    preview_payload,
    retry_run,
    run_playbook,
)
from tui.model.text import display


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("playbooks", help="list, run and review playbooks (automated responses)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    actions.add_parser("list", help="the configured playbooks, one a line").set_defaults(
        func=cmd_list
    )

    run = actions.add_parser("run", help="run a playbook on an alert or incident")
    run.add_argument("name", help="playbook name (see `threatdesk playbooks list`)")
    _target_options(run, required=True)
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    run.set_defaults(func=cmd_run)

    runs = actions.add_parser("runs", help="the run log, newest first")
    _target_options(runs, required=False)
    runs.add_argument("--limit", type=int, default=50)
    runs.set_defaults(func=cmd_runs)

    retry = actions.add_parser("retry", help="run a failed run again")
    retry.add_argument("run_id", type=int)
    retry.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    retry.set_defaults(func=cmd_retry)

    rules = actions.add_parser("rules", help="the workflow-automation rules, one a line")
    rules.set_defaults(func=cmd_rules)

    show = actions.add_parser("show", help="one run with its output excerpt")
    show.add_argument("run_id", type=int)
    show.set_defaults(func=cmd_show)


def _target_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--alert", type=int, metavar="ID")
    group.add_argument("--incident", type=int, metavar="ID")


def _target(args: argparse.Namespace) -> Target | None:
    if args.alert is not None:
        return Target("alert", args.alert)
    if args.incident is not None:
        return Target("incident", args.incident)
    return None


def _fail(message: str) -> int:
    print(f"threatdesk: {display(message)}", file=sys.stderr)
    return 2


def cmd_list(args: argparse.Namespace) -> int:
    try:
        playbooks = load_playbooks(config(args))
    except PlaybookError as exc:
        return _fail(str(exc))
    if not playbooks:
        print("no playbooks configured: add [playbooks.NAME] tables to the config file")
    for p in playbooks.values():
        print(f"{p.name}\t{p.kind}\t{display(p.destination, 80)}\t{display(p.description, 80)}")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(config(args))
    except PlaybookError as exc:
        return _fail(str(exc))
    if not rules:
        print("no automation rules configured: add [[automation]] tables to the config file")
    for rule in rules:
        sets = " OR ".join(
            "(" + " AND ".join(f"{c.path} {c.operator} {c.value!r}" for c in s) + ")"
            for s in rule.rule_sets
        )
        state = "enabled" if rule.enabled else "disabled"
        print(
            f"{rule.name}\t{rule.trigger}\t{rule.playbook}\t{state}\t{display(sets or 'any', 300)}"
        )
    return 0


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print("threatdesk: not a terminal: pass --yes to run without asking", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_run(args: argparse.Namespace) -> int:
    target = _target(args)
    assert target is not None
    cfg, store = config(args), open_store(args)
    if args.readonly:
        return _fail(READONLY_MESSAGE)
    try:
        preview = preview_payload(store, cfg, args.name, target)
        print(f"playbook {preview.playbook.name} ({preview.playbook.kind})")
        print(f"  sends to: {display(preview.playbook.destination, 200)}")
        for line in preview.header_lines:
            print(f"  header:   {display(line, 200)}")
        for name in preview.missing_secrets:
            print(f"  warning:  environment variable {name} is not set: the run would fail")
        for line in preview.summary:
            print(f"  {line}")
        print(f"  payload:  {len(preview.body):,} bytes of JSON")
        if not _confirm(f"Run {args.name} on {target}?", args.yes):
            return 1
        run = run_playbook(store, cfg, args.name, target, current_user(), readonly=args.readonly)
    except PlaybookError as exc:
        return _fail(str(exc))
    return _report(run)


def cmd_retry(args: argparse.Namespace) -> int:
    if args.readonly:
        return _fail(READONLY_MESSAGE)
    cfg, store = config(args), open_store(args)
    original = get_run(store.conn, args.run_id)
    if original is None:
        return _fail(f"playbook run {args.run_id} does not exist")
    question = f"Retry run {original.id} ({original.playbook} on {original.target_type} "
    if not _confirm(question + f"{original.target_id})?", args.yes):
        return 1
    try:
        run = retry_run(store, cfg, args.run_id, current_user(), readonly=args.readonly)
    except PlaybookError as exc:
        return _fail(str(exc))
    return _report(run)


def _report(run: Run) -> int:
    print(f"run {run.id}: {outcome_line(run)}")
    if run.error:
        print(f"  error: {display(run.error, 500)}")
    if run.output:
        print(display(run.output, 4000, multiline=True))
    return 0 if run.status == "success" else 1


def cmd_runs(args: argparse.Namespace) -> int:
    store = open_store(args)
    target = _target(args)
    runs = list_runs(
        store.conn, target.type if target else None, target.id if target else None, args.limit
    )
    for run in runs:
        trigger = f"auto:{run.rule}" if run.trigger == "automatic" else "manual"
        print(
            f"{run.id}\t{run.started_at[:19]}\t{run.playbook}\t{run.target_type} {run.target_id}"
            f"\t{display(trigger, 60)}\t{display(run.actor, 40)}\t{outcome_line(run)}"
            f"\t{display(run.error, 120)}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    run = get_run(open_store(args).conn, args.run_id)
    if run is None:
        return _fail(f"playbook run {args.run_id} does not exist")
    print(f"run {run.id}: {run.playbook} on {run.target_type} {run.target_id}")
    print(f"  trigger:  {run.trigger}{f' (rule {display(run.rule)})' if run.rule else ''}")
    print(f"  by:       {display(run.actor)}")
    print(f"  started:  {run.started_at}  finished: {run.finished_at or '-'}")
    if run.retry_of:
        print(f"  retry of: run {run.retry_of}")
    return _report(run)
