"""`threatdesk import-inventory FILE...`: load Azure Resource Graph exports with their tags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands.common import open_store

SHOWN_REJECTIONS = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-inventory",
        help="import an Azure Resource Graph export (JSON or CSV) as the resource inventory",
        description="Import Azure resources with their tags from an Azure Resource Graph export: "
        'a JSON array, {"data": [...]}, {"value": [...]}, or CSV with the columns id, name, '
        "type, location, resourceGroup, subscriptionId, tags (a JSON object). Resources are "
        "keyed by lower-cased resource id, so re-importing updates them. Bad rows are rejected "
        "with their row number and reason; the exit status is 1 when any row was rejected.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_import_inventory)


def cmd_import_inventory(args: argparse.Namespace) -> int:
    from tui.ingest.inventory import InventoryError, import_inventory

    store = open_store(args)
    status = 0
    for path in args.files:
        try:
            result = import_inventory(store, path)
        except InventoryError as exc:
            print(f"threatdesk: {exc}", file=sys.stderr)
            status = 2
            continue
        counts = result.counts
        print(
            f"{path}: {counts.new:,} new, {counts.updated:,} updated, "
            f"{counts.unchanged:,} unchanged, {len(result.rejected):,} rejected"
        )
        for rejection in result.rejected[:SHOWN_REJECTIONS]:
            print(f"  row {rejection.row}: {rejection.reason}", file=sys.stderr)
        if len(result.rejected) > SHOWN_REJECTIONS:
            print(f"  … and {len(result.rejected) - SHOWN_REJECTIONS:,} more", file=sys.stderr)
        if result.rejected:
            status = max(status, 1)
    return status
