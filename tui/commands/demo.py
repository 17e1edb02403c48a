"""`threatdesk demo`: build a demo database from generated Defender alerts and open it."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from platformdirs import user_data_path

from tui.config import APP, current_user
from tui.store import Store, StoreError, audit, connect, transaction

DEMO_DB = "demo.db"
MARK_ACTION = "demo.build"  # audit action that marks a database as a demo database


def register(sub: argparse._SubParsersAction) -> None:
    from tui.ingest.demo import DEFAULT_ALERTS, DEFAULT_SEED

    p = sub.add_parser(
        "demo",
        help="build a demo database of generated Defender alerts and open it",
        description="Generate deterministic Defender for Cloud alerts (multi-stage attacks, "
        "internet scanners, repetitive noise, shared infrastructure) with a resource "
        "inventory, import them with the regular import pipeline into a fresh demo database "
        f"(default: {user_data_path(APP) / DEMO_DB}), print a summary and open the console. "
        "The generated files, including the ground truth of which attack each alert belongs "
        "to (truth.jsonl), are kept next to the database.",
    )
    p.add_argument(
        "--alerts", type=int, default=DEFAULT_ALERTS, help=f"how many (default {DEFAULT_ALERTS})"
    )
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="same seed, same data (default %(default)s)"
    )
    p.add_argument(
        "--db",
        type=Path,
        dest="demo_db",
        metavar="PATH",
        help="demo database to (re)build; refused if it holds anything but demo data",
    )
    p.add_argument("--no-open", action="store_true", help="build and summarise only")
    p.set_defaults(func=cmd_demo)


def demo_db_path(args: argparse.Namespace) -> Path:
    """The demo's own database unless --db (of `demo` or of threatdesk) names one."""
    return getattr(args, "demo_db", None) or args.db or user_data_path(APP) / DEMO_DB


def cmd_demo(args: argparse.Namespace) -> int:
    from tui.commands.app import run_app

    if args.alerts < 1:
        print("threatdesk: --alerts must be at least 1", file=sys.stderr)
        return 2
    path = demo_db_path(args)
    _remove_demo_database(path)
    store = Store(path)
    try:
        _mark(store, args)
        summary = build_demo(store, path.with_name(f"{path.stem}-files"), args)
    finally:
        store.close()
    print(summary)
    if args.no_open or not sys.stdout.isatty():
        return 0
    args.db = path
    return run_app(args)


def build_demo(store: Store, files_dir: Path, args: argparse.Namespace) -> str:
    """Generate, import and process the demo data; return the summary to print."""
    from tui.commands.ingest import _process_new_alerts, _ProgressBar
    from tui.ingest.demo import write_demo
    from tui.ingest.inventory import import_inventory
    from tui.ingest.pipeline import import_paths

    print(f"generating {args.alerts:,} alerts (seed {args.seed}) in {files_dir}", file=sys.stderr)
    files = write_demo(files_dir, args.alerts, args.seed)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        imported = import_paths(store, [files.alerts], fmt="defender", progress=bar)
    finally:
        if bar is not None:
            bar.close()
    inventory = import_inventory(store, files.inventory)
    if imported.new_ids:
        _process_new_alerts(store, imported.new_ids, args)
    return _summary(store, imported, inventory.counts.new, files.truth)


def _summary(store: Store, imported, resources: int, truth: Path) -> str:
    from tui.store.queries import stats

    counts = stats(store.conn)
    totals = dict(counts["totals"])
    lines = [
        f"demo database {store.path}",
        f"  alerts     {totals['alerts']:>10,}  ({imported.alerts_per_second:,.0f} alerts/s"
        f" imported, {imported.rejected:,} rejected)",
    ]
    lines += [f"    {severity:<12} {n:>8,}" for severity, n in counts["severity"]]
    lines += [
        f"  incidents  {totals['incidents']:>10,}",
        f"  resources  {resources:>10,}",
        f"  ground truth: {truth}",
    ]
    return "\n".join(lines)


def _remove_demo_database(path: Path) -> None:
    """Delete a previous demo database; refuse anything that is not one."""
    if not path.exists():
        return
    if path.stat().st_size and not _is_demo(path):
        raise StoreError(
            f"{path} is not a demo database; choose another --db "
            "(the demo deletes and rebuilds its database)"
        )
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _is_demo(path: Path) -> bool:
    """Whether `path` carries the demo mark; read-only and unmigrated, whatever its schema."""
    try:
        conn = connect(path, migrate=False, readonly=True)
    except StoreError:
        return False
    try:
        history = audit.history(conn, "database", "demo")
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return any(entry["action"] == MARK_ACTION for entry in history)


def _mark(store: Store, args: argparse.Namespace) -> None:
    with transaction(store.conn) as conn:
        details = {"alerts": args.alerts, "seed": args.seed}
        audit.record(conn, current_user(), MARK_ACTION, "database", "demo", None, details)
