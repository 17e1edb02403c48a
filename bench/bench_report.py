"""Report benchmark: time to make each report type for an incident of N alerts (target < 1 s).

    python -m bench.bench_report --alerts 100 [--runs 5]

The incident is bench_intel's synthetic one (IPs, command lines, URLs, hashes, ATT&CK
techniques) with an imported STIX bundle whose indicators attribute it to a group, so every
section has content. Per type: building the content (store reads, attribution, profiles),
rendering the PDF, and the whole `generate_report` (including writing and logging the file).
The first report pays for the attribution weights (cold); the medians are of warm runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_intel import file_incident, indicator_bundle, machine, synthetic_alerts, timed
from tui.intel import update
from tui.intel.stix import import_bundle
from tui.model import EntityType
from tui.report.model import ReportType, Target, Tlp
from tui.report.pdf import render
from tui.report.service import build_report, generate_report
from tui.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def prepare(folder: Path, alerts: int) -> tuple[Store, Target]:
    rng = random.Random(6)
    store = Store(folder / "report.db")
    update(store)
    incident = synthetic_alerts(alerts, rng)
    seen = [e.key for a in incident[::10] for e in a.entities if e.type is EntityType.IP]
    import_bundle(store, indicator_bundle(folder / "bundle.json", 200, rng, seen))
    return store, Target("incident", file_incident(store, incident))


def cpu_timed(fn: Callable[[], object]) -> float:
    """CPU seconds of this process: on a shared, loaded machine wall time mostly measures others."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def bench_type(store: Store, target: Target, kind: ReportType, runs: int, out: Path) -> dict:
    report = build_report(store, target, kind, Tlp.AMBER, "bench", NOW)
    pages = render(report)[1]

    def medians(fn: Callable[[], object]) -> tuple[float, float]:
        wall, cpu = zip(*((timed(fn), cpu_timed(fn)) for _ in range(runs)), strict=True)
        return statistics.median(wall), statistics.median(cpu)

    return {
        "pages": pages,
        "build": medians(lambda: build_report(store, target, kind, Tlp.AMBER, "bench", NOW)),
        "render": medians(lambda: render(report)),
        "total": medians(
            lambda: generate_report(store, target, kind, Tlp.AMBER, "bench", out, now=NOW)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100, help="alerts in the incident")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        folder = Path(tmp)
        store, target = prepare(folder, args.alerts)
        cold = timed(
            lambda: generate_report(
                store, target, ReportType.SUMMARY, Tlp.AMBER, "bench", folder, now=NOW
            )
        )
        results = {k: bench_type(store, target, k, args.runs, folder) for k in ReportType}
        store.close()
    print(f"incident of {args.alerts} alerts; first report (cold attribution) {cold:.2f} s wall")
    print(f"medians of {args.runs} runs, wall / CPU milliseconds; load average {_load()}")
    print(f"{'type':<16}{'pages':>6}{'build':>14}{'render':>14}{'total':>14}")
    for kind, r in results.items():
        cells = "".join(
            f"{w * 1000:>8.0f} /{c * 1000:>4.0f}" for w, c in (r["build"], r["render"], r["total"])
        )
        print(f"{kind.value:<16}{r['pages']:>6}{cells}")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
