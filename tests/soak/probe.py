"""Another analyst's one change, from its own process, for the live-update check.

    python -m tests.soak.probe --db DB --alert ID --status InProgress

Sets the alert's status at its current version and prints the wall-clock time of the commit, so
the test can measure how long the running app takes to show it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tui.engine.triage import set_status
from tui.model import Status
from tui.store import Store
from tui.store.triage import get_triage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--alert", type=int, required=True)
    parser.add_argument("--status", type=Status, required=True)
    args = parser.parse_args()
    store = Store(args.db)
    target = ("alert", args.alert)
    version = get_triage(store.conn, *target)["version"]
    set_status(store, target, args.status, expected_version=version)
    print(time.time(), flush=True)
    store.close()


if __name__ == "__main__":
    main()
