"""Opening the interactive console."""

from __future__ import annotations

import argparse
import sys


def run_app(args: argparse.Namespace) -> int:
    try:
        from tui.ui.app import ThreatdeskApp
    except ImportError:
        print("threatdesk: the interactive console is not available yet", file=sys.stderr)
        return 2
    from tui.commands.common import config, open_store

    app = ThreatdeskApp(open_store(args), config=config(args), readonly=args.readonly)
    app.run()
    return 0
