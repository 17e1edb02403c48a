"""`threatdesk intel update|import|status|show|attribute`: the threat-intelligence base."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tui.commands.common import open_store
from tui.model.text import display

SHOWN_REJECTIONS = 20
SHOWN_TECHNIQUES = 8


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "intel",
        help="threat-intelligence knowledge base: load, import STIX, show groups, attribute",
        description="The offline knowledge base: MISP galaxies shipped with pymispgalaxies "
        "(threat actors, MITRE ATT&CK groups, techniques, mitigations, software, campaigns) "
        "plus STIX 2.1 bundles you import.",
    )
    intel = p.add_subparsers(dest="intel_command", metavar="ACTION", required=True)
    intel.add_parser("update", help="(re)load the MISP galaxies").set_defaults(func=cmd_update)
    q = intel.add_parser(
        "import",
        help="import a STIX 2.1 bundle (indicators, intrusion sets, campaigns, relationships)",
        description="Bad objects are rejected with their id and reason, the rest imported; "
        "the exit status is 1 when any object was rejected.",
    )
    q.add_argument("bundle", type=Path, metavar="BUNDLE.json")
    q.set_defaults(func=cmd_import)
    intel.add_parser("status", help="version, date and counts").set_defaults(func=cmd_status)
    q = intel.add_parser("show", help="profile of an activity group or campaign")
    q.add_argument("name", metavar="NAME", help="name, alias or id (G0016, APT29, Cozy Bear)")
    q.set_defaults(func=cmd_show)
    q = intel.add_parser("attribute", help="rank likely groups and campaigns behind alerts")
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("--incident", type=int, metavar="ID")
    target.add_argument("--alert", type=int, metavar="ID", action="append")
    q.set_defaults(func=cmd_attribute)


def cmd_update(args: argparse.Namespace) -> int:
    from tui.intel import kb_version, update

    store = open_store(args)
    started = time.perf_counter()
    counts = update(store)
    elapsed = time.perf_counter() - started
    print(f"loaded {kb_version(store).label} in {elapsed:.2f} s")
    print(", ".join(f"{n:,} {what}" for what, n in counts.items() if n))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tui.intel.stix import import_bundle

    result = import_bundle(open_store(args), args.bundle)
    counts = ", ".join(f"{n:,} {what}" for what, n in sorted(result.counts.items()))
    print(f"{args.bundle}: imported {counts or 'nothing'}; {len(result.rejected):,} rejected")
    for kind, n in sorted(result.skipped.items()):
        print(f"  skipped {n:,} {display(kind, 60)} object(s): type not used by threatdesk")
    for object_id, reason in result.rejected[:SHOWN_REJECTIONS]:
        print(f"  {display(object_id, 100)}: {display(reason, 300)}", file=sys.stderr)
    if len(result.rejected) > SHOWN_REJECTIONS:
        print(f"  … and {len(result.rejected) - SHOWN_REJECTIONS:,} more", file=sys.stderr)
    return 1 if result.rejected else 0


def cmd_status(args: argparse.Namespace) -> int:
    from tui.intel import kb_version
    from tui.store.intel import sources, table_counts

    store = open_store(args)
    version = kb_version(store)
    if version is None:
        print("knowledge base not loaded yet: run `threatdesk intel update`")
        return 0
    print(f"knowledge base: {version.label}")
    print(f"loaded: {version.loaded_at}")
    print("galaxies: " + ", ".join(f"{k} v{v}" for k, v in sorted(version.galaxies.items())))
    for source in sources(store.conn):
        if source.name.startswith("stix:"):
            detail = source.detail
            print(
                f"bundle: {display(detail.get('file', ''), 80)} ({source.name[5:]}) imported"
                f" {source.loaded_at}"
            )
    print(", ".join(f"{n:,} {what}" for what, n in table_counts(store.conn).items()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from tui.intel.profiles import find_campaigns, find_groups

    store = open_store(args)
    groups = find_groups(store, args.name)
    campaigns = find_campaigns(store, args.name)
    if not groups and not campaigns:
        print(f"threatdesk: {args.name!r}: no group or campaign by that name", file=sys.stderr)
        return 1
    for group in groups:
        _print_group(store, group.id)
    for campaign_id in campaigns:
        _print_campaign(store, campaign_id)
    return 0


def _print_group(store, group_id: str) -> None:
    from tui.intel import group_profile, tactic_label

    p = group_profile(store, group_id)
    print(f"{display(p.name)} [{p.id}]")
    _field("aliases", ", ".join(p.aliases))
    _field("country", p.country)
    _field("suspected sponsor", p.sponsor)
    _field("attribution confidence", p.attribution_confidence)
    _field("motives", ", ".join(p.motives))
    _field("target sectors", ", ".join(p.target_sectors))
    _field("suspected victims", ", ".join(p.victims))
    _field("associated groups", ", ".join(g.name for g in p.associated_groups))
    _field("software", ", ".join(s.name for s in p.software))
    for c in p.campaigns:
        _field("campaign", f"{c.name} [{c.id}] {c.first_seen[:10]} – {c.last_seen[:10]}")
    for tactic, techniques in p.techniques_by_tactic.items():
        shown = ", ".join(f"{t.id} {t.name}" for t in techniques[:SHOWN_TECHNIQUES])
        more = len(techniques) - SHOWN_TECHNIQUES
        _field(tactic_label(tactic), shown + (f", … +{more}" if more > 0 else ""))
    _field("description", p.description)
    print()


def _print_campaign(store, campaign_id: str) -> None:
    from tui.intel import campaign_profile

    p = campaign_profile(store, campaign_id)
    print(f"{display(p.name)} [{p.id}] campaign")
    _field("seen", f"{p.first_seen[:10]} – {p.last_seen[:10]}")
    _field("groups", ", ".join(g.name for g in p.groups))
    _field("software", ", ".join(s.name for s in p.software))
    _field("description", p.description)
    print()


def _field(label: str, value: str) -> None:
    if value:
        print(f"  {label}: {display(value, 1200, multiline=True)}")


def cmd_attribute(args: argparse.Namespace) -> int:
    from tui.intel import attribute_alerts, attribute_incident

    store = open_store(args)
    if args.incident is not None:
        result = attribute_incident(store, args.incident)
    else:
        result = attribute_alerts(store, args.alert)
    print(display(result.summary()))
    for candidate in (*result.groups, *result.campaigns):
        print(
            f"  {candidate.kind} {display(candidate.name)} [{candidate.id}] score"
            f" {candidate.score:.1f} ({candidate.confidence})"
        )
        print(f"    {display(candidate.explanation(), 1500)}")
    if not result.attributed and result.best_rejected:
        best = result.best_rejected
        print(f"  strongest rejected guess: {display(best.name)} score {best.score:.1f}")
        print(f"    {display(best.explanation(), 1500)}")
    return 0
