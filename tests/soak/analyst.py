"""One simulated analyst for the soak test, run as its own OS process.

    python -m tests.soak.analyst --db DB --hot HOT.json --log LOG.jsonl --role triage \
        --seconds 20 [--while-exists FLAG] --seed 1 [--config CONFIG.toml]

It works for `--seconds`, and on while FLAG exists (the test removes it when the import ends, so
the analysts overlap the whole import).

It reads a target's version, thinks for a moment (so other analysts get in between), and tries
a change through the engine API exactly as the console does. Every attempt is one JSON line in
the log: what was tried, on what, at which version, and the outcome ("accepted" with the new
version, "conflict" with the ConflictError message, "in_progress" for a playbook already
running on the target, or "error" with the exception's type and message). The actor is
$THREATDESK_USER, so the audit log can be matched against the log.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from tui.config import current_user, load_config
from tui.engine import suppression, triage
from tui.engine.playbooks.payload import Target
from tui.engine.playbooks.runner import run_playbook
from tui.model import Classification, Status
from tui.store import Store
from tui.store.db import ConflictError
from tui.store.playbooks import RunInProgressError
from tui.store.triage import get_triage

PLAYBOOK = "soak-note"
CLOSING = (Status.RESOLVED, Status.DISMISSED)
Attempt = Callable[[], dict[str, Any]]


class Analyst:
    def __init__(self, store: Store, hot: dict[str, list[int]], rng: random.Random) -> None:
        self.store = store
        self.alerts = hot["alerts"]
        self.incidents = hot["incidents"]
        self.rng = rng
        self.actor = current_user()

    def target(self) -> tuple[str, int]:
        if self.incidents and self.rng.random() < 0.2:
            return ("incident", self.rng.choice(self.incidents))
        return ("alert", self.rng.choice(self.alerts))

    def think(self) -> None:
        time.sleep(self.rng.uniform(0, 0.02))

    # ---- one attempt per role; each returns the log fields beyond the outcome ----------------

    def triage(self) -> dict[str, Any]:
        target = self.target()
        version = get_triage(self.store.conn, *target)["version"]
        self.think()
        entry: dict[str, Any] = {"target": target, "expected": version}
        choice = self.rng.random()
        if choice < 0.5:
            status = self.rng.choice(list(Status))
            closing = status in CLOSING
            verdict = self.rng.choice(list(Classification)) if closing else None
            note = f"soak {self.actor} v{version}" if closing else ""
            cascade = target[0] == "incident" and self.rng.random() < 0.5
            entry |= {"action": "status", "cascade": cascade}
            entry["changes"] = triage._status_changes(status, verdict, note)
            entry["version"] = triage.set_status(
                self.store,
                target,
                status,
                expected_version=version,
                classification=verdict,
                comment=note,
                cascade=cascade,
            )
        elif choice < 0.8:
            owner = self.rng.choice(["alice", "bob", "carol", ""])
            entry |= {"action": "assign", "changes": {"owner": owner}}
            entry["version"] = triage.assign(self.store, target, owner, expected_version=version)
        else:
            body = f"soak comment by {self.actor} {self.rng.getrandbits(32):08x}"
            entry |= {"action": "comment", "changes": {"comment": body}}
            entry["comment_id"] = triage.add_comment(self.store, target, body)
        return entry

    def suppress(self) -> dict[str, Any]:
        picked = self.rng.sample(self.alerts, 2)
        rule = suppression.propose_rule(self.store, picked[:1])
        self.think()
        saved = suppression.save_rule(self.store, rule, apply_existing=True)
        time.sleep(0.3)  # fewer rules than edits: each dismisses a slice of the hot alerts
        return {
            "action": "suppress",
            "target": ("alert", picked[0]),
            "rule_id": saved.rule.id,
            "dismissed": saved.dismissed,
        }

    def playbook(self, config: Any) -> dict[str, Any]:
        kind, target_id = self.target()
        run = run_playbook(self.store, config, PLAYBOOK, Target(kind, target_id), self.actor)
        return {
            "action": "playbook",
            "target": (kind, target_id),
            "run_id": run.id,
            "run_status": run.status,
        }


def hot_targets(
    store: Store, rng: random.Random, alerts: int, incidents: int
) -> dict[str, list[int]]:
    """A few small incidents, their alerts, and loose alerts: the targets everyone fights over."""
    conn = store.conn
    hot_incidents = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM incidents WHERE alert_count BETWEEN 2 AND 8 ORDER BY id LIMIT ?",
            (incidents,),
        )
    ]
    members = [
        r[0]
        for r in conn.execute(
            "SELECT alert_id FROM incident_alerts WHERE incident_id IN"
            " (SELECT value FROM json_each(?))",
            (json.dumps(hot_incidents),),
        )
    ]
    loose = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM alerts WHERE id NOT IN (SELECT alert_id FROM incident_alerts)"
        )
    ]
    hot_alerts = members + rng.sample(loose, max(0, alerts - len(members)))
    return {"alerts": sorted(hot_alerts), "incidents": hot_incidents}


def attempt(do: Attempt, log: TextIO, role: str) -> None:
    started = time.time()
    try:
        entry = do() | {"outcome": "accepted"}
    except ConflictError as exc:
        entry = {"outcome": "conflict", "message": str(exc)}
    except RunInProgressError as exc:
        entry = {"outcome": "in_progress", "message": str(exc)}
    except Exception as exc:  # everything else is a failure the test reports
        entry = {"outcome": "error", "type": type(exc).__name__, "message": str(exc)}
    entry |= {"role": role, "actor": current_user(), "at": started, "took": time.time() - started}
    log.write(json.dumps(entry) + "\n")
    log.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--hot", type=Path, required=True, help="JSON: alerts and incidents")
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--role", choices=("triage", "suppress", "playbook"), required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--while-exists", type=Path, help="keep working while this file exists")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path)
    args = parser.parse_args()
    store = Store(args.db)
    analyst = Analyst(store, json.loads(args.hot.read_text()), random.Random(args.seed))
    config = load_config(args.config) if args.config else None
    do = {
        "triage": analyst.triage,
        "suppress": analyst.suppress,
        "playbook": lambda: analyst.playbook(config),
    }[args.role]
    deadline = time.monotonic() + args.seconds
    with args.log.open("a", encoding="utf-8") as log:
        while time.monotonic() < deadline or (args.while_exists and args.while_exists.exists()):
            attempt(do, log, args.role)
    store.close()


if __name__ == "__main__":
    main()
