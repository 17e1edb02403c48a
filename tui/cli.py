"""The `threatdesk` command: global options and subcommand dispatch.

Each subcommand group lives in `tui/commands/<group>.py` and exposes `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from tui import __version__
from tui.commands import command_modules
from tui.commands.common import db_path
from tui.config import ConfigError
from tui.store import StoreError
from tui.store.db import damaged


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threatdesk",
        description="Keyboard-first terminal console for SOC analysts: correlate security "
        "alerts into incidents, triage them, respond, and report.",
    )
    parser.add_argument("--version", action="version", version=f"threatdesk {__version__}")
    parser.add_argument(
        "--db", type=Path, help="database file (default: $THREATDESK_DB or the user data folder)"
    )
    parser.add_argument("--config", type=Path, help="config file (TOML)")
    parser.add_argument(
        "--readonly", action="store_true", help="hide and refuse every action that changes data"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        from tui.commands.app import run_app

        return run_app(args)
    try:
        return int(args.func(args) or 0)
    except (StoreError, ConfigError) as exc:
        print(f"threatdesk: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a damaged page, found when a command reads it
        print(f"threatdesk: {damaged(db_path(args), exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("threatdesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
