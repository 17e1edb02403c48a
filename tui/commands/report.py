"""`threatdesk report` (make a threat-intelligence PDF) and `threatdesk reports` (list them)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tui.commands.common import open_store
from tui.config import current_user, reports_dir
from tui.model.text import display


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a threat-intelligence PDF report for an incident or an alert",
        description="Activity Group (the attacker), Campaign (one campaign) or Threat Summary "
        "(both) report, with the incident's own TTPs, indicators, victimology and mitigations.",
    )
    _target_options(p)
    p.add_argument(
        "--type",
        required=True,
        choices=("activity-group", "campaign", "summary"),
        help="report type",
    )
    p.add_argument(
        "--tlp",
        default="amber",
        help="Traffic Light Protocol marking: clear, green, amber (default) or red",
    )
    p.add_argument("-o", "--output", type=Path, help="PDF file (default: the reports folder)")
    p.add_argument(
        "--open", action="store_true", help="open the PDF with the desktop's viewer, if any"
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("reports", help="list the reports made for an incident or an alert")
    _target_options(p)
    p.set_defaults(func=cmd_reports)


def _target_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--incident", type=int, metavar="ID")
    group.add_argument("--alert", type=int, metavar="ID")


def cmd_report(args: argparse.Namespace) -> int:
    from tui.report.model import ReportType, Target, Tlp
    from tui.report.service import generate_report

    try:
        tlp = Tlp.parse(args.tlp)
    except ValueError as exc:
        print(f"threatdesk: {exc}", file=sys.stderr)
        return 2
    target = (
        Target("incident", args.incident)
        if args.incident is not None
        else Target("alert", args.alert)
    )
    store = open_store(args)
    path = generate_report(
        store,
        target,
        ReportType(args.type),
        tlp,
        current_user(),
        reports_dir(),
        output=args.output,
    )
    print(path)
    if args.open:
        _open(path)
    return 0


def _open(path: Path) -> None:
    """xdg-open only where a desktop can show it; over SSH the printed path is the answer."""
    viewer = shutil.which("xdg-open")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or viewer is None:
        print("threatdesk: no local display; open the file above yourself", file=sys.stderr)
        return
    subprocess.Popen(  # a fixed program and our own file path: nothing from alerts
        [viewer, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def cmd_reports(args: argparse.Namespace) -> int:
    from tui.store.reports import list_reports

    store = open_store(args)
    found = list_reports(store.conn, incident_id=args.incident, alert_id=args.alert)
    if not found:
        print("no reports made yet")
        return 0
    print(f"{'made (UTC)':<20} {'by':<14} {'type':<15} {'TLP':<6} {'for':<14} {'pages':>5}  file")
    for r in found:
        made = r.created_at[:19].replace("T", " ")
        target = f"{r.target_type} {r.target_id}"
        print(
            f"{made:<20} {display(r.analyst, 14):<14} {r.type:<15} {r.tlp:<6} {target:<14}"
            f" {r.pages:>5}  {display(r.path, 400)}"
        )
    return 0
