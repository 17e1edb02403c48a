"""`threatdesk correlate [--rebuild]`: connect alerts into incidents."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "correlate",
        help="connect alerts not yet correlated into incidents (or recompute all)",
        description="Correlate the alerts that have not been correlated yet into incidents, "
        "and settle incidents analysts edited. With --rebuild, recompute every incident from "
        "all alerts: the result equals the incremental one, incident ids are kept where the "
        "alerts stay together, and analyst decisions (removed, added, merged and split alerts; "
        "status, owner, classification, comments) are kept. Rules and their settings: the "
        "[correlation] section of the config file, see docs/correlation.md.",
    )
    p.add_argument("--rebuild", action="store_true", help="recompute every incident")
    p.set_defaults(func=cmd_correlate)


def cmd_correlate(args: argparse.Namespace) -> int:
    from tui.commands.common import config, open_store
    from tui.engine.correlation import correlate_new, rebuild
    from tui.engine.correlation_settings import CorrelationSettings
    from tui.store.correlation_data import uncorrelated_ids

    if args.readonly:
        print("threatdesk: correlate changes incidents; not with --readonly", file=sys.stderr)
        return 2
    settings = CorrelationSettings.from_config(config(args))
    store = open_store(args)
    if args.rebuild:
        result = rebuild(store, settings)
    else:
        result = correlate_new(store, uncorrelated_ids(store.conn), settings)
    print(result.summary())
    return 0
