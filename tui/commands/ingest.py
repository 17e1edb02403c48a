"""`threatdesk import FILE...` and `threatdesk quarantine`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tui.commands.common import config, open_store
from tui.ingest.detect import ADAPTERS, EXPECTED
from tui.model.text import display


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import alert files (Defender, Sentinel, Graph, OCSF; JSON, JSON Lines or CSV)",
        description=f"Import alerts. Formats: {EXPECTED}. Bad records are quarantined (see "
        "`threatdesk quarantine`). Exit status: 1 when a record was rejected, 2 when a file "
        "was refused.",
    )
    p.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="JSON, JSON Lines or CSV file"
    )
    p.add_argument(
        "--format",
        choices=["auto", *ADAPTERS],
        default="auto",
        dest="fmt",
        help="source format (default: detected from the first records)",
    )
    p.add_argument(
        "--strict", action="store_true", help="reject a whole file when any record in it is bad"
    )
    p.set_defaults(func=cmd_import)
    q = sub.add_parser("quarantine", help="list records rejected by imports (newest first)")
    q.add_argument("--file", help="only records of this file (as it was given to import)")
    q.add_argument("--limit", type=int, default=50, help="how many to list (default: 50)")
    q.set_defaults(func=cmd_quarantine)


class _ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and 0 < done < total:
            return
        self.last = now
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r{stage:<9} [{bar:<30}] {share:6.1%}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r" + " " * 50 + "\r")


def cmd_import(args: argparse.Namespace) -> int:
    from tui.engine.suppression_ingest import IngestSuppression
    from tui.ingest.pipeline import import_paths

    store = open_store(args)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        summary = import_paths(
            store,
            args.files,
            fmt=args.fmt,
            strict=args.strict,
            progress=bar,
            screen=IngestSuppression(),
        )
    finally:
        if bar is not None:
            bar.close()
    for name, fmt in summary.formats.items():
        print(f"{display(name)}: {fmt}")
    for reason in summary.refused.values():
        print(f"threatdesk: refused {display(reason, 600)}", file=sys.stderr)
    print(
        f"new {summary.new:,}  updated {summary.updated:,}  unchanged {summary.unchanged:,}  "
        f"rejected {summary.rejected:,}  {summary.seconds:.2f} s  "
        f"{summary.alerts_per_second:,.0f} alerts/s"
    )
    if summary.rejected:
        print("rejected records: threatdesk quarantine", file=sys.stderr)
    pending = _unprocessed(store, summary.new_ids)
    left = len(pending) - len(summary.new_ids)
    if left:
        print(f"also finishing {left:,} alerts an interrupted import left")
    if pending:
        _process_new_alerts(store, pending, args)
    return 2 if summary.refused else 1 if summary.rejected else 0


def _unprocessed(store, new_ids) -> list[int]:
    """The new alerts, and those an import killed before its engines ran (never correlated):
    re-running the import finishes them."""
    from tui.store.correlation_data import uncorrelated_ids

    return sorted(set(new_ids).union(uncorrelated_ids(store.conn)))


def _process_new_alerts(store, new_ids, args: argparse.Namespace) -> None:
    """Correlation and automation on the new alerts (suppression screened them on arrival)."""
    from tui.engine.pipeline import process_new_alerts

    result = process_new_alerts(store, list(new_ids), config(args))
    print(f"new alerts: {result.summary()}")


def cmd_quarantine(args: argparse.Namespace) -> int:
    from tui.store import quarantine

    store = open_store(args)
    rows = quarantine.entries(store.conn, file=args.file, limit=args.limit)
    if not rows:
        print("no rejected records")
        return 0
    for row in rows:
        where = f"{display(row.file, 120)}:{row.record_no}"
        offset = f" (byte {row.byte_offset})" if row.byte_offset is not None else ""
        print(f"{where}{offset}: {display(row.reason, 300)}")
    return 0
