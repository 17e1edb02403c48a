"""Several analysts and an import at once, each in its own OS process, against one database.

While a large demo file is imported, analyst processes change statuses (some cascading to an
incident's alerts), assign, comment, create and apply suppression rules and trigger a command
playbook on the same few dozen alerts and incidents, and a running console (Pilot, in this
process) must show another process's change within 2 s. Afterwards: no lost update, no phantom
update, no database error reached anyone, the audit chain and the database are intact.

CI size by default (20,000 alerts, analysts for at least 20 s and as long as the import runs);
the full soak (about 7 min on 2 cores) is
    THREATDESK_SOAK_ALERTS=100000 THREATDESK_SOAK_SECONDS=120 python -m pytest tests/soak -m slow
Each analyst's log and the console's delays (live_delays.json) stay in the test's tmp folder.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.soak import ledger
from tests.soak.analyst import hot_targets
from tests.ui.pilot import alert_list, until
from tui.config import load_config
from tui.ingest.demo import write_demo
from tui.model import Status
from tui.store import Store
from tui.store.audit import verify_chain
from tui.ui.alert_list import STATUS_LABEL
from tui.ui.app import ThreatdeskApp

ALERTS = int(os.environ.get("THREATDESK_SOAK_ALERTS", "20000"))
SECONDS = float(os.environ.get("THREATDESK_SOAK_SECONDS", "20"))
SEED_ALERTS = 2000
HOT_ALERTS = 40
HOT_INCIDENTS = 6
IMPORT_LIMIT = 120 + ALERTS / 50  # seconds; the CI machine imports ~500-1,000 alerts/s
LIVE_LIMIT = 2.0  # seconds for another analyst's change to show in a running console
# (role, how many processes)
ANALYSTS = (("triage", 2), ("suppress", 1), ("playbook", 2))

CONFIG = """
[playbooks.soak-note]
kind = "command"
description = "Read the payload and exit"
argv = ["${python}", "-c", "import json, sys; json.load(sys.stdin)"]
timeout = 20
"""


def _cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "--db", str(db), *args]


def _start_analysts(
    tmp: Path, db: Path, hot: Path, config: Path, flag: Path
) -> list[subprocess.Popen]:
    procs = []
    for role, count in ANALYSTS:
        for n in range(count):
            actor = f"soak-{role}-{n}"
            command = [sys.executable, "-m", "tests.soak.analyst", "--db", str(db)]
            command += ["--hot", str(hot), "--log", str(tmp / f"{actor}.jsonl"), "--role", role]
            command += ["--seconds", str(SECONDS), "--while-exists", str(flag)]
            command += ["--seed", str(len(procs)), "--config", str(config)]
            env = os.environ | {"THREATDESK_USER": actor}
            procs.append(subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True))
    return procs


async def _wait(proc: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{proc.args} still running after {timeout} s")
        await asyncio.sleep(0.2)
    return proc.returncode


def _alert_types(store: Store, alert_ids: list[int]) -> set[str]:
    rows = store.conn.execute(
        "SELECT DISTINCT alert_type FROM alerts WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(alert_ids),),
    )
    return {r[0] for r in rows}


async def _live_delays(pilot, store: Store, hot: list[int], until_done) -> list[float]:
    """Change the alert under the cursor from another process, again and again while the soak
    runs; return how long the console took to show each change. The alert is one nobody else
    touches: not hot, and of a type no suppression rule proposed from a hot alert covers."""
    listing = alert_list(pilot)
    await until(pilot, lambda: listing.keys and listing.row(listing.keys[0]) is not None)
    busy = _alert_types(store, hot)
    key = listing.current_key
    while key is None or key < 0 or key in hot or _alert_types(store, [key]) & busy:
        await pilot.press("j")
        key = listing.current_key
    db = store.path
    alert_id = listing.current_key
    delays = []
    for status in itertools.cycle([Status.IN_PROGRESS, Status.ACTIVE]):
        if until_done():
            break
        probe = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.soak.probe", "--db", str(db),
            "--alert", str(alert_id), "--status", status.value,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await probe.communicate()
        assert probe.returncode == 0
        committed = float(out.decode().strip())

        def shown(status: Status = status) -> bool:
            row = listing.row(alert_id)
            line = listing.render_line(listing.cursor - listing.scroll_offset.y).text
            return row is not None and row.status is status and STATUS_LABEL[status] in line

        try:
            await until(pilot, shown, timeout=LIVE_LIMIT + 3)
        except AssertionError:  # not raised here: Textual's teardown hangs on an exception
            delays.append(float("inf"))
            break
        delays.append(time.time() - committed)
        await asyncio.sleep(0.5)
    return delays


@pytest.mark.slow
@pytest.mark.timeout(300 + SECONDS + IMPORT_LIMIT)
async def test_concurrent_analysts_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "soak.db"
    seed = write_demo(tmp_path / "seed", SEED_ALERTS, seed=7)
    subprocess.run(_cli(db, "import", str(seed.alerts)), check=True, capture_output=True)
    big = write_demo(tmp_path / "big", ALERTS, seed=11)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    store = Store(db)
    hot_path = tmp_path / "hot.json"
    hot = hot_targets(store, random.Random(3), HOT_ALERTS, HOT_INCIDENTS)
    hot_path.write_text(json.dumps(hot))

    importer = subprocess.Popen(
        _cli(db, "--config", str(config), "import", str(big.alerts)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    importing = tmp_path / "importing"
    importing.touch()
    analysts = _start_analysts(tmp_path, db, hot_path, config, importing)

    def soak_over() -> bool:
        if importer.poll() is not None:
            importing.unlink(missing_ok=True)
        return all(p.poll() is not None for p in analysts)

    app = ThreatdeskApp(store, config=load_config(config))
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            delays = await _live_delays(pilot, store, hot["alerts"], soak_over)
        assert await _wait(importer, IMPORT_LIMIT) == 0, importer.stderr.read()
        importing.unlink(missing_ok=True)
        for proc in analysts:
            assert await _wait(proc, SECONDS + 60) == 0, proc.stderr.read()
    finally:  # a failure must not leave analysts working forever
        importing.unlink(missing_ok=True)
        for proc in (importer, *analysts):
            if proc.poll() is None:
                proc.kill()
    store.close()
    (tmp_path / "live_delays.json").write_text(json.dumps(delays))

    entries = ledger.read_logs(sorted(tmp_path.glob("soak-*.jsonl")))
    summary = ledger.outcomes(entries)
    errors = [e for e in entries if e["outcome"] == "error"]
    assert not errors, f"{len(errors)} errors reached analysts, e.g. {errors[:3]}; {summary}"
    for role in ("triage", "suppress", "playbook"):
        assert summary[role]["accepted"] > 0, summary
    assert summary["triage"]["conflict"] > 0, f"the analysts never collided: {summary}"
    conflicts = [e for e in entries if e["outcome"] == "conflict"]
    assert all("was changed by" in e["message"] for e in conflicts)
    assert max(e["took"] for e in entries) < 30, "an action waited out the busy timeout"
    assert delays and max(delays) < LIVE_LIMIT, f"live update delays {delays}"

    store = Store(db)
    conn = store.conn
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert verify_chain(conn) is None
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == SEED_ALERTS + ALERTS
    missing, phantom = ledger.triage_audit_mismatch(conn, entries)
    assert not missing and not phantom, (missing, phantom)
    assert not ledger.duplicate_versions(entries)
    assert not ledger.version_gaps(conn)
    assert not ledger.final_state_mismatch(conn, entries)
    _check_comments(conn, entries)
    _check_rules(conn, entries)
    _check_runs(conn, entries)
    store.close()


def _check_comments(conn, entries: list[dict]) -> None:
    for e in entries:
        if e["outcome"] == "accepted" and e["action"] == "comment":
            row = conn.execute(
                "SELECT author, body FROM comments WHERE id = ?", (e["comment_id"],)
            ).fetchone()
            assert row == (e["actor"], e["changes"]["comment"])


def _check_rules(conn, entries: list[dict]) -> None:
    """Every accepted rule is stored, and each alert it dismissed is named in its audit row."""
    for e in entries:
        if e["outcome"] == "accepted" and e["action"] == "suppress":
            assert (
                conn.execute(
                    "SELECT count(*) FROM suppression_rules WHERE id = ?", (e["rule_id"],)
                ).fetchone()[0]
                == 1
            )
            if e["dismissed"]:
                audited = conn.execute(
                    "SELECT after FROM audit_log WHERE action = 'suppression.dismiss'"
                    " AND target_id = ? AND actor = ?",
                    (str(e["rule_id"]), e["actor"]),
                ).fetchone()
                assert json.loads(audited[0])["alert_ids"] == e["dismissed"]


def _check_runs(conn, entries: list[dict]) -> None:
    """Every triggered run finished successfully, with its start and result audited."""
    for e in entries:
        if e["outcome"] == "accepted" and e["action"] == "playbook":
            status = conn.execute(
                "SELECT status FROM playbook_runs WHERE id = ?", (e["run_id"],)
            ).fetchone()
            assert status == ("success",), (e, status)
            audited = conn.execute(
                "SELECT count(*) FROM audit_log WHERE action IN ('playbook.run', 'playbook.result')"
                " AND json_extract(after, '$.run') = ?",
                (e["run_id"],),
            ).fetchone()[0]
            assert audited == 2, e
