"""The steps of `python -m bench`: each calls an area benchmark's own functions and returns
its figures as a JSON-able dict.

One demo dataset per size is shared by every step, so each size imports its alerts once:
`prepare` writes N + batches x batch demo alerts (Defender JSON Lines) and splits them into the
base file and the incremental batches; the ingest step imports the base file end to end and its
database becomes `base.db` (the JSON Lines file is then deleted); the correlation step copies
it to `work.db` and builds the incidents, which the UI, search, report and suppression steps
then read (suppression last: it dismisses alerts).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import bench_correlation, bench_ingest
from bench.child import run, run_command

SEED = 7
BATCH = 1000  # the incremental batch of issue 3
REPORT_INCIDENT_ALERTS = 100  # the incident size of issue 8's target
SEARCH_QUERY = "credntial dumping"  # a typo; the demo data has "Possible credential dumping"
UI_ENV = {"BENCH_UI_QUERY": SEARCH_QUERY}


@dataclass(frozen=True)
class Dataset:
    alerts: int
    batches: int
    folder: Path

    @classmethod
    def at(cls, workdir: Path, alerts: int, batches: int) -> Dataset:
        # bench_correlation.prepare() finds its base database in this folder.
        return cls(alerts, batches, workdir / f"n{alerts}-s{SEED}-{batches}x{BATCH}")

    @property
    def jsonl(self) -> Path:
        return self.folder / "base.jsonl"

    @property
    def base(self) -> Path:
        return self.folder / "base.db"

    @property
    def work(self) -> Path:
        return self.folder / "work.db"


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def prepare(data: Dataset) -> dict:
    """Write and split the demo alerts (not measured: bench_demo measures the generator)."""
    from tui.ingest.demo import write_demo

    shutil.rmtree(data.folder, ignore_errors=True)
    started = time.perf_counter()
    files = write_demo(data.folder, data.alerts + data.batches * BATCH, SEED)
    bench_correlation._split(files.alerts, data.folder, data.alerts, data.batches, BATCH)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "jsonl_mib": data.jsonl.stat().st_size / 2**20}


def ingest(data: Dataset, runs: int) -> dict:
    """threatdesk import (with no rule, and with bench_suppression's 100 rules) vs sqlite-utils
    insert_all and the parse + insert floor, interleaved; the last import without rules is
    kept."""
    kinds = ("threatdesk", "threatdesk+rules", "sqlite-utils", "floor")
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(runs):
        for kind, measured in results.items():
            measured.append(bench_ingest._measure(kind, data.jsonl, data.folder))
    _remove_database(data.folder / "sqlite-utils.db")
    _remove_database(data.folder / "threatdesk+rules.db")
    _remove_database(data.folder / "floor.db")
    for suffix in ("", "-wal", "-shm"):
        kept = Path(f"{data.folder / 'threatdesk.db'}{suffix}")
        if kept.exists():
            kept.rename(f"{data.base}{suffix}")
    data.jsonl.unlink()
    (data.folder / "done").write_text("ok")
    return results


def correlation(data: Dataset) -> dict:
    """bench_correlation end to end (rebuilds, quality, incremental), then the naive
    any-shared-entity correlator timed on the same store."""
    engine = run_command(
        _python(
            "bench.bench_correlation",
            *("--alerts", str(data.alerts), "--runs", str(data.batches)),
            *("--batch", str(BATCH), "--seed", str(SEED), "--workdir", str(data.folder.parent)),
        )
    )
    naive = run("bench.baselines:any_shared_entity", db=str(data.work))
    _remove_database(data.base)  # work.db is its correlated copy (6 GB at 1M alerts)
    return {"engine": engine, "naive": naive}


def ui(data: Dataset, runs: int) -> dict:
    """The alerts screen on the demo store, a fresh process per run."""
    return {"app": [run_command(_ui_child("app", data.work), env=UI_ENV) for _ in range(runs)]}


def datatable(data: Dataset, largest: int, timeout: float) -> dict:
    """The baseline: Textual's DataTable holding every row (once; it takes minutes)."""
    if data.alerts > largest:
        return {"skipped": f"not run above {largest:,} alerts (--datatable-max)"}
    try:
        return run_command(_ui_child("datatable", data.work), timeout, env=UI_ENV)
    except subprocess.TimeoutExpired:
        return {"skipped": f"did not finish within {timeout:.0f} s (--datatable-timeout)"}


def _ui_child(mode: str, db: Path) -> list[str]:
    """bench_ui's child command: a fresh process per run."""
    return _python("bench.bench_ui", "--child", mode, "--db", str(db))


def search_baseline(data: Dataset) -> dict:
    return run("bench.baselines:rapidfuzz_titles", db=str(data.work), query=SEARCH_QUERY)


def demo_reports(data: Dataset, runs: int) -> dict:
    return run("bench.stages:reports_in_store", db=str(data.work), runs=runs)


def suppression(data: Dataset, runs: int) -> dict:
    return run(
        "bench.stages:suppression_in_store", db=str(data.work), alerts=data.alerts, runs=runs
    )


def intel(runs: int) -> dict:
    """Knowledge-base load and the three reports for bench_report's 100-alert incident: both
    independent of the store's size, so measured once."""
    return run("bench.stages:intel_and_reports", runs=runs)


# --- the functions below run in a child process (bench.child) ------------------------------


def suppression_in_store(db: str, alerts: int, runs: int) -> dict:
    """bench_suppression's simulate shapes over the imported alerts (the 100-rule ingest
    overhead is measured by the ingest step)."""
    from bench import bench_suppression
    from tui.store import Store, incidents

    store = Store(Path(db))
    ids = sorted(i for i, _sid in incidents.source_ids(store.conn))[:alerts]
    simulate = [
        {"shape": label, "matches": count, "median_s": median, "max_s": worst}
        for label, count, median, worst in bench_suppression.time_simulate(store, ids, runs)
    ]
    store.close()
    return {"simulate": simulate, "rules": bench_suppression.RULES}


def reports_in_store(db: str, runs: int) -> dict:
    """Load the knowledge base into the demo store, then make each report type for the demo
    incident whose size is closest to 100 alerts."""
    from collections import Counter

    from bench.bench_report import bench_type
    from tui.intel import update
    from tui.report.model import ReportType, Target
    from tui.store import Store, incidents

    store = Store(Path(db))
    started = time.perf_counter()
    update(store)
    kb_seconds = time.perf_counter() - started
    sizes = Counter(incident for incident, _reason in incidents.memberships(store.conn).values())
    incident, size = min(sizes.items(), key=lambda item: abs(item[1] - REPORT_INCIDENT_ALERTS))
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        types = {
            kind.value: bench_type(store, Target("incident", incident), kind, runs, Path(tmp))
            for kind in ReportType
        }
    store.close()
    return {"kb_load_s": kb_seconds, "incident": incident, "incident_alerts": size, "types": types}


def intel_and_reports(runs: int) -> dict:
    from bench.bench_intel import bench_load
    from bench.bench_report import bench_type, prepare
    from tui.report.model import ReportType

    with tempfile.TemporaryDirectory(prefix="bench-intel-") as tmp:
        folder = Path(tmp)
        load = bench_load(runs, folder)
        store, target = prepare(folder, REPORT_INCIDENT_ALERTS)
        types = {kind.value: bench_type(store, target, kind, runs, folder) for kind in ReportType}
        store.close()
    return {"kb": load, "incident_alerts": REPORT_INCIDENT_ALERTS, "types": types}
