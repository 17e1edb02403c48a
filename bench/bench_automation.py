"""Playbook and automation benchmark: what workflow automation adds to an import, and what one
playbook run costs.

    python -m bench.bench_automation --alerts 100000 [--runs 3] [--playbook-runs 30]

Demo alerts are imported into a fresh database; then `on_alerts_created` is timed over the new
ids in import-sized batches with (a) no rules, (b) five rules that never match (facts are read
and every rule evaluated for every alert), and (c) one rule matching one alert type (~1 % of the
alerts) that runs a real command playbook (`true`) for each. The overhead is reported against the
import's own time. Then single runs are timed: a command playbook (`true`, a process spawn plus
two audited transactions) and a webhook to an HTTP server on 127.0.0.1, each median of N.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tui.config import Config
from tui.engine.automation import on_alerts_created
from tui.engine.playbooks import Target, run_playbook
from tui.ingest.demo import write_demo
from tui.ingest.pipeline import import_paths
from tui.store import Store

BATCH = 5000

PLAYBOOKS = """
[playbooks.noop]
kind = "command"
argv = ["true"]
[playbooks.hook]
kind = "webhook"
url = "{url}"
retries = 0
"""
NEVER = """
[[automation]]
name = "never-{n}"
playbook = "noop"
trigger = "alert-created"
[[automation.rule_sets]]
rules = [
  {{ property = "severity", operator = "equals", value = "High" }},
  {{ property = "entities.host.hostname", operator = "starts with", value = "no-such-host-{n}" }},
]
"""
ONE_TYPE = """
[[automation]]
name = "one-type"
playbook = "noop"
trigger = "alert-created"
[[automation.rule_sets]]
rules = [{{ property = "alert_type", operator = "equals", value = "{alert_type}" }}]
"""


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({cpu}), {mem:.1f} GiB RAM, Python {platform.python_version()}"


def config(text: str) -> Config:
    return Config(path=None, data=tomllib.loads(text))


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def rare_type(store: Store, share: float) -> tuple[str, int]:
    """The alert type whose count is closest to `share` of all alerts."""
    counts = store.conn.execute(
        "SELECT alert_type, count(*) FROM alerts GROUP BY alert_type"
    ).fetchall()
    total = sum(c for _t, c in counts)
    return min(counts, key=lambda tc: abs(tc[1] - share * total))


def timed_hooks(store: Store, cfg: Config, ids: list[int]) -> tuple[float, int]:
    started = time.perf_counter()
    runs = sum(
        len(on_alerts_created(store, cfg, ids[i : i + BATCH])) for i in range(0, len(ids), BATCH)
    )
    return time.perf_counter() - started, runs


def one_round(workdir: Path, alerts: int, playbook_runs: int, url: str) -> dict[str, float]:
    if workdir.exists():
        shutil.rmtree(workdir)
    files = write_demo(workdir / "demo", alerts=alerts)
    store = Store(workdir / "bench.db")
    started = time.perf_counter()
    ids = list(import_paths(store, [files.alerts]).new_ids)
    out = {"import_s": time.perf_counter() - started}
    base = PLAYBOOKS.format(url=url)
    out["no_rules_s"], _ = timed_hooks(store, config(base), ids)
    never = base + "".join(NEVER.format(n=n) for n in range(5))
    out["five_rules_s"], runs = timed_hooks(store, config(never), ids)
    assert runs == 0
    alert_type, expected = rare_type(store, 0.01)
    out["matching_s"], runs = timed_hooks(
        store, config(base + ONE_TYPE.format(alert_type=alert_type)), ids
    )
    assert runs == expected, (runs, expected)
    out["matching_runs"] = runs
    cfg = config(base)
    for kind in ("noop", "hook"):
        times = []
        for n in range(playbook_runs):
            run = run_playbook(store, cfg, kind, Target("alert", ids[n]), "bench")
            assert run.status == "success", run.error
            times.append(run.duration_ms)
        out[f"{kind}_ms"] = statistics.median(times)
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--playbook-runs", type=int, default=30)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench-automation-") as tmp:
        for _ in range(args.runs):
            rounds.append(one_round(Path(tmp) / "w", args.alerts, args.playbook_runs, url))
    server.shutdown()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    imp = med("import_s")
    print(f"machine: {machine()}")
    print(f"{args.alerts:,} demo alerts, median of {args.runs} rounds, batches of {BATCH:,}")
    print(f"  import                          {imp:8.2f} s")
    for label, key in (
        ("automation, no rules", "no_rules_s"),
        ("automation, 5 rules, no match", "five_rules_s"),
        (f"automation, 1 rule, {int(med('matching_runs')):,} runs", "matching_s"),
    ):
        print(f"  {label:<32}{med(key):8.2f} s  ({med(key) / imp:6.1%} of the import)")
    print(f"  one command playbook run (true) {med('noop_ms'):8.0f} ms (median)")
    print(f"  one webhook run (127.0.0.1)     {med('hook_ms'):8.0f} ms (median)")


if __name__ == "__main__":
    main()
