"""Helpers every subcommand uses, and the `stats` command."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.config import Config, default_db_path, load_config
from tui.store import Store


def db_path(args: argparse.Namespace) -> Path:
    return args.db or default_db_path()


def open_store(args: argparse.Namespace) -> Store:
    return Store(db_path(args))


def config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="counts of alerts by severity, status and source format")
    p.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from tui.store.queries import stats

    store = open_store(args)
    for heading, counts in stats(store.conn).items():
        print(f"{heading}:")
        for name, count in counts:
            print(f"  {name:<16} {count:>10,}")
    return 0
