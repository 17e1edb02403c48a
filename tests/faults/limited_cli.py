"""The real `threatdesk` command with one SQLite limit changed, to provoke a fault on demand.

    python -m tests.faults.limited_cli --max-pages 40 -- --db DB import FILE
    python -m tests.faults.limited_cli --busy-ms 1000 -- --db DB rules import FILE

`--max-pages` caps the database file of every connection the command opens (PRAGMA
max_page_count), so a write past it fails exactly as on a full disk ("database or disk is
full"). `--busy-ms` shortens the busy timeout, so waiting out another writer takes a second.
Everything else, the error handling and the messages, is the shipped code.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from tui import cli
from tui.store import db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--busy-ms", type=int)
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    configure = db._configure

    def limited(conn: sqlite3.Connection) -> None:
        configure(conn)
        if args.max_pages:
            conn.execute(f"PRAGMA max_page_count = {args.max_pages}")

    db._configure = limited
    if args.busy_ms:
        db.BUSY_TIMEOUT_MS = args.busy_ms
    return cli.main([a for a in args.argv if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
