"""Ingest benchmark: demo alerts as Defender JSON Lines, imported end to end into a fresh DB.

    python -m bench.bench_ingest --alerts 100000 [--runs 3] [--seed 7] [--keep DIR]

Each measurement runs in its own child process; peak RSS is the high-water mark of that process
plus its parse workers.
`threatdesk import` is `import_paths` on a fresh database (parse, validate, normalize, upsert
with entities, techniques and FTS, quarantine, import record). The baseline is sqlite-utils
`insert_all` with default settings on the same records (the ARM envelope flattened into
`properties`' columns, nested values stored as JSON), without any entity or search index.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

_CHILD = "--child"


class _PeakRss:
    """Peak of the summed RSS of this process and its descendants (the parse workers are
    children of the multiprocessing fork server, which RUSAGE_CHILDREN would miss)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
        return max(self.peak, own) / 2**20


def _child(kind: str, db: Path, source: Path) -> None:
    """Run one measurement in this (child) process and print it as JSON."""
    if kind.startswith("threatdesk"):
        result = _threatdesk(db, source, with_rules=kind == "threatdesk+rules")
    elif kind == "floor":
        result = _floor(db, source)
    else:
        result = _sqlite_utils(db, source)
    print(json.dumps(result))


def _threatdesk(db: Path, source: Path, with_rules: bool) -> dict:
    """`threatdesk import`: import_paths with the ingest-time suppression screen, into a fresh
    database with no rule or (set up before the clock starts) bench_suppression's 100 rules."""
    from tui.engine.suppression_ingest import IngestSuppression
    from tui.ingest.pipeline import import_paths
    from tui.store import Store

    store = Store(db)
    if with_rules:
        from bench.bench_suppression import add_rules

        add_rules(store, source)
    screen = IngestSuppression()
    rss = _PeakRss()
    started = time.perf_counter()
    summary = import_paths(store, [source], screen=screen)
    seconds = time.perf_counter() - started
    assert summary.rejected == 0 and not summary.refused, summary
    return {
        "alerts": summary.new + summary.unchanged + summary.updated,
        "seconds": seconds,
        "peak_rss_mib": rss.stop(),
        "dismissed": screen.dismissed,
    }


def _floor(db: Path, source: Path) -> dict:
    """What any importer of these records pays at least, on one core: orjson.loads of every
    line (no validation, no model), and one executemany of (id, verbatim record) rows into a
    table with a unique id, in one transaction (no entity, no index, no search). And the
    ceiling of threatdesk's own parse workers: parse, validate and normalize every record on
    all cores, as an import does, with nothing stored."""
    import sqlite3

    import orjson

    rss = _PeakRss()
    with source.open("rb") as lines:
        started = time.perf_counter()
        ids = [orjson.loads(line)["id"] for line in lines]
        parse_s = time.perf_counter() - started
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE alerts (id INTEGER PRIMARY KEY, source_id TEXT UNIQUE, raw TEXT)")
    with source.open("rb") as lines:
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO alerts (source_id, raw) VALUES (?, ?)",
            zip(ids, (line.decode() for line in lines), strict=True),
        )
        conn.execute("COMMIT")
        insert_s = time.perf_counter() - started
    conn.close()
    return {
        "alerts": len(ids),
        "seconds": parse_s + insert_s,
        "parse_s": parse_s,
        "insert_s": insert_s,
        "normalize_s": _normalize_only(source),
        "peak_rss_mib": rss.stop(),
    }


def _normalize_only(source: Path) -> float:
    """Seconds for the import's own reader and parse workers to prepare every record."""
    from tui.ingest import pipeline

    started = time.perf_counter()
    opened = pipeline._open(source, "defender")  # the import's own stages, minus the writer
    prepared = sum(o.prepared is not None for chunk in pipeline._mapped(opened) for o in chunk)
    seconds = time.perf_counter() - started
    assert prepared and opened.workers == pipeline.WORKERS, (prepared, opened.workers)
    return seconds


def _sqlite_utils(db: Path, source: Path) -> dict:
    import orjson
    import sqlite_utils

    def rows():
        with source.open("rb") as lines:
            for line in lines:
                record = orjson.loads(line)
                yield {"id": record["id"], **record["properties"]}

    rss = _PeakRss()
    started = time.perf_counter()
    table = sqlite_utils.Database(db)["alerts"]
    table.insert_all(rows())
    seconds = time.perf_counter() - started
    return {"alerts": table.count, "seconds": seconds, "peak_rss_mib": rss.stop()}


def _measure(kind: str, source: Path, workdir: Path) -> dict:
    db = workdir / f"{kind}.db"
    for stale in workdir.glob(f"{kind}.db*"):
        stale.unlink()
    command = [sys.executable, "-m", "bench.bench_ingest", _CHILD, kind, str(db), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["db_mib"] = sum(p.stat().st_size for p in workdir.glob(f"{kind}.db*")) / 2**20
    return result


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {total:.0f} GiB RAM, Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
        f"load average {load}"
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == _CHILD:
        _child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep the files")
    args = parser.parse_args()
    from tui.ingest.demo import write_demo

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"machine: {_machine()}")
        source = write_demo(workdir / "demo", args.alerts, args.seed).alerts
        size = source.stat().st_size / 2**20
        print(f"input: {args.alerts:,} demo alerts, Defender JSON Lines, {size:,.0f} MiB\n")
        results = {kind: [] for kind in ("threatdesk", "sqlite-utils", "floor")}
        for _ in range(args.runs):
            for kind, runs in results.items():  # interleaved: all see the same noise
                runs.append(_measure(kind, source, workdir))
        _table(results)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _table(results: dict[str, list[dict]]) -> None:
    base = statistics.median(r["alerts"] / r["seconds"] for r in results["sqlite-utils"])
    print("| importer | alerts | runs | median s | median alerts/s | vs sqlite-utils"
          " | peak RSS MiB | DB MiB |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, runs in results.items():
        rate = statistics.median(r["alerts"] / r["seconds"] for r in runs)
        print(
            f"| {kind} | {runs[0]['alerts']:,} | {len(runs)} "
            f"| {statistics.median(r['seconds'] for r in runs):.1f} | {rate:,.0f} "
            f"| {rate / base:.2f}x | {max(r['peak_rss_mib'] for r in runs):,.0f} "
            f"| {runs[-1]['db_mib']:,.0f} |"
        )


if __name__ == "__main__":
    main()
