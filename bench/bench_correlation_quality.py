"""Correlation quality on demo data: pairwise precision/recall against the ground truth.

    python -m bench.bench_correlation_quality --alerts 20000 [--seed 7]

Writes the demo files, imports them with the real pipeline, rebuilds the correlation and
scores the incidents against truth.jsonl (see tui/ingest/demo_truth.py). Shared infrastructure
(domain controller, NAT egress IP, SYSTEM, the backup service account) and internet scanners
are what a correlator must not merge on.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tui.engine.correlation import rebuild
from tui.ingest.demo import write_demo
from tui.ingest.demo_truth import read_truth, score
from tui.ingest.pipeline import import_paths
from tui.store import Store
from tui.store.incident_membership import alert_incidents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-correlation-") as tmp:
        files = write_demo(Path(tmp), args.alerts, args.seed)
        store = Store(Path(tmp) / "bench.db")
        import_paths(store, [files.alerts], fmt="defender")
        started = time.perf_counter()
        result = rebuild(store)
        seconds = time.perf_counter() - started
        scores = score(read_truth(files.truth), alert_incidents(store.conn))
        store.close()
    print(
        f"alerts {args.alerts:,}, seed {args.seed}: rebuild {seconds:.2f} s, {result.created:,}"
        " incidents"
    )
    print(
        f"pairs: precision {scores.precision:.3f}, recall {scores.recall:.3f}, f1 {scores.f1:.3f}"
        f" ({scores.correct_pairs:,} of {scores.predicted_pairs:,} predicted,"
        f" {scores.true_pairs:,} true)"
    )
    print(
        f"attack instances found whole and alone: {scores.instances_whole:,} of"
        f" {scores.instances:,}; noise alerts inside incidents: {scores.noise_in_incidents:,}"
    )


if __name__ == "__main__":
    main()
