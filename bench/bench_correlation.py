"""Correlation benchmark: quality on the demo ground truth, full rebuild, incremental batches.

    python -m bench.bench_correlation --alerts 100000 [--runs 3] [--batch 1000] [--seed 7]

The demo generator writes N + runs x batch alerts with their truth file; the first N are
imported into a base database (built once per size and seed under --workdir, with the real
import pipeline). Runs work on a copy of it:
- rebuild: a fresh process drops all incidents and rebuilds them; seconds and peak RSS;
- quality: pairwise precision, recall and F1 of the rebuilt incidents against the scenario
  instances of the truth file, and the same for a naive correlator that merges every pair of
  alerts sharing any entity (the baseline);
- incremental: each of `runs` batches is imported (not timed) and correlate_new() is timed on
  its new ids; afterwards a rebuild must give exactly the incremental result.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from array import array
from collections import Counter
from pathlib import Path

import orjson


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "?")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs, {mem:.0f} GiB RAM, {cpu}"


# --- preparing the data --------------------------------------------------------------------


def prepare(
    workdir: Path, alerts: int, runs: int, batch: int, seed: int
) -> tuple[Path, list[Path], Path]:
    """Base database of `alerts` demo alerts, batch files of the next ones, the truth file."""
    from tui.ingest.demo import write_demo
    from tui.ingest.pipeline import import_paths
    from tui.store import Store

    folder = workdir / f"n{alerts}-s{seed}-{runs}x{batch}"
    base = folder / "base.db"
    folder.mkdir(parents=True, exist_ok=True)
    done = (folder / "done").exists()
    files = None if done else write_demo(folder, alerts + runs * batch, seed)
    batches = sorted(folder.glob("batch-*.jsonl"))
    if files is not None:
        batches = _split(files.alerts, folder, alerts, runs, batch)
        print(f"importing {alerts:,} alerts into {base} ...", file=sys.stderr)
        started = time.perf_counter()
        store = Store(base)
        import_paths(store, [folder / "base.jsonl"], fmt="defender")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so one file copy is complete
        store.close()
        print(f"  imported in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        (folder / "done").write_text("ok")
    return base, batches, folder / "truth.jsonl"


def _split(source: Path, folder: Path, alerts: int, runs: int, batch: int) -> list[Path]:
    """The first `alerts` lines into base.jsonl, then `runs` files of `batch` lines."""
    paths = [folder / "base.jsonl", *(folder / f"batch-{k}.jsonl" for k in range(runs))]
    with source.open("rb") as lines:
        outputs = [p.open("wb") for p in paths]
        for n, line in enumerate(lines):
            index = 0 if n < alerts else 1 + min((n - alerts) // batch, runs - 1)
            outputs[index].write(line)
        for out in outputs:
            out.close()
    source.unlink()
    return paths[1:]


# --- scoring -------------------------------------------------------------------------------


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def score(groups: dict[str, object], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of predicted groups (source id -> group) vs the truth."""
    predicted = Counter(groups.values())
    actual = Counter(truth.values())
    both = Counter((g, truth[sid]) for sid, g in groups.items() if sid in truth)
    hits = _pairs(both)
    precision = hits / _pairs(predicted) if predicted else 1.0
    recall = hits / _pairs(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "groups": len(predicted)}


def load_truth(path: Path) -> dict[str, str]:
    out = {}
    with path.open("rb") as lines:
        for line in lines:
            row = orjson.loads(line)
            if row["scenario"] is not None:
                out[row["id"].lower()] = row["scenario"]
    return out


def engine_groups(conn) -> dict[str, object]:
    from tui.store import incidents as db

    return {sid.lower(): iid for sid, iid in db.incident_by_source_id(conn) if iid is not None}


def naive_groups(conn) -> dict[str, object]:
    """Merge every pair of alerts that share any entity: the baseline."""
    from tui.store import correlation_data as cdb
    from tui.store import incidents as db

    top = cdb.max_alert_id(conn) + 1
    parent = array("q", range(top))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = set()
    for _entity, _count, ids in cdb.entity_groups(conn):
        root = find(ids[0])
        for other in ids[1:]:
            r = find(other)
            if r != root:
                parent[r] = root
        linked.update(ids)
    ids = {i: sid.lower() for i, sid in db.source_ids(conn)}
    return {ids[a]: find(a) for a in linked}


# --- measuring -----------------------------------------------------------------------------


def worker_rebuild(db_path: Path) -> dict:
    from tui.engine.correlation import rebuild
    from tui.store import Store
    from tui.store import incidents as db

    store = Store(db_path)
    db.forget_correlation(store.conn)
    started = time.perf_counter()
    result = rebuild(store)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "summary": result.summary()}


def worker_incremental(db_path: Path, batches: list[Path]) -> dict:
    from tui.engine.correlation import correlate_new, rebuild
    from tui.ingest.pipeline import import_paths
    from tui.store import Store
    from tui.store import incidents as db

    store = Store(db_path)
    timings = []
    for batch in batches:
        ids = list(import_paths(store, [batch], fmt="defender").new_ids)
        started = time.perf_counter()
        result = correlate_new(store, ids)
        timings.append(time.perf_counter() - started)
        print(f"  batch of {len(ids)}: {timings[-1]:.3f} s; {result.summary()}", file=sys.stderr)
    incremental = _partition(db.memberships(store.conn))
    rebuild(store)
    same = _partition(db.memberships(store.conn)) == incremental
    return {"seconds": timings, "peak_rss_mb": _peak_rss_mb(), "equals_rebuild": same}


def _partition(members: dict) -> set[frozenset]:
    groups: dict[int, set[int]] = {}
    for alert_id, (incident_id, _reason) in members.items():
        groups.setdefault(incident_id, set()).add(alert_id)
    return {frozenset(g) for g in groups.values()}


def _in_process(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_correlation", *args], capture_output=True, text=True
    )
    sys.stderr.write(out.stderr)
    out.check_returncode()
    return json.loads(out.stdout)


def _copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        copy = Path(f"{target}{suffix}")
        copy.unlink(missing_ok=True)
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", copy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/threatdesk-bench-correlation"))
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the base database and stop"
    )
    parser.add_argument("--worker", choices=["rebuild", "incremental"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--batches", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "rebuild":
        print(json.dumps(worker_rebuild(args.db)))
        return 0
    if args.worker == "incremental":
        print(json.dumps(worker_incremental(args.db, args.batches)))
        return 0

    base, batches, truth_path = prepare(args.workdir, args.alerts, args.runs, args.batch, args.seed)
    if args.prepare_only:
        return 0
    work = base.with_name("work.db")
    rebuilds = []
    _copy_database(base, work)  # each rebuild run first drops every incident
    for _ in range(args.runs):
        rebuilds.append(_in_process("--worker", "rebuild", "--db", str(work)))
        print(f"  rebuild: {rebuilds[-1]['summary']}", file=sys.stderr)

    from tui.store import Store
    from tui.store import incidents as db

    store = Store(work)
    known = {sid.lower() for _i, sid in db.source_ids(store.conn)}
    truth = {sid: sc for sid, sc in load_truth(truth_path).items() if sid in known}
    quality = score(engine_groups(store.conn), truth)
    baseline = score(naive_groups(store.conn), truth)
    store.close()

    incremental = _in_process(
        "--worker", "incremental", "--db", str(work), "--batches", *map(str, batches)
    )
    report = {
        "machine": _machine(),
        "alerts": args.alerts,
        "rebuild_seconds_median": statistics.median(r["seconds"] for r in rebuilds),
        "rebuild_seconds": [round(r["seconds"], 2) for r in rebuilds],
        "rebuild_peak_rss_mb": max(r["peak_rss_mb"] for r in rebuilds),
        "incremental_batch": args.batch,
        "incremental_seconds_median": statistics.median(incremental["seconds"]),
        "incremental_seconds": [round(s, 3) for s in incremental["seconds"]],
        "incremental_equals_rebuild": incremental["equals_rebuild"],
        "quality": quality,
        "baseline_any_shared_entity": baseline,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
