"""Opening the interactive console: `threatdesk` with no subcommand."""

from __future__ import annotations

import argparse
import errno
import sys

from tui.commands.common import config, open_store
from tui.config import ConfigError
from tui.store import StoreError

# Exit status when the terminal went away (the shell convention for SIGHUP).
HANGUP_STATUS = 129


def run_app(args: argparse.Namespace) -> int:
    from tui.ui.app import ThreatdeskApp  # textual is imported only when the console opens

    try:
        store = open_store(args)
        settings = config(args)
    except (StoreError, ConfigError) as exc:
        print(f"threatdesk: {exc}", file=sys.stderr)
        return 2
    app = ThreatdeskApp(store, config=settings, readonly=args.readonly)
    try:
        app.run()
    except OSError as exc:
        # Restoring a terminal that no longer exists fails with EIO; the work is committed.
        if exc.errno not in (errno.EIO, errno.EBADF, errno.ENXIO):
            raise
        return HANGUP_STATUS
    finally:
        store.close()
    return app.return_code or 0
