"""`threatdesk export-iocs --incident ID [--format stix|csv] [-o FILE]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tui.commands.common import open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-iocs",
        help="export an incident's indicators (IPs, domains, URLs, file hashes) as STIX or CSV",
        description="STIX 2.1 bundle of the shareable indicators (private and loopback "
        "addresses left out), or CSV of all of them with a note on each one left out.",
    )
    p.add_argument("--incident", type=int, required=True, metavar="ID")
    p.add_argument("--format", choices=("stix", "csv"), default="stix")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export_iocs)


def cmd_export_iocs(args: argparse.Namespace) -> int:
    from tui.config import current_user
    from tui.intel import csv_text, incident_iocs, stix_bundle
    from tui.store.intel import incident_classification, incident_title, record_export

    store = open_store(args)
    iocs = incident_iocs(store, args.incident)
    if args.format == "stix":
        bundle = stix_bundle(
            iocs,
            incident_id=args.incident,
            title=incident_title(store.conn, args.incident),
            malicious=incident_classification(store.conn, args.incident) == "TruePositive",
        )
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        exported = sum(1 for o in bundle["objects"] if o["type"] == "indicator")
    else:
        text = csv_text(iocs)
        exported = len(iocs)
    if args.output:
        args.output.write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text)
    record_export(store.conn, current_user(), args.incident, args.format, exported)
    where = args.output or "standard output"
    print(f"exported {exported} of {len(iocs)} indicator(s) to {where}", file=sys.stderr)
    return 0
