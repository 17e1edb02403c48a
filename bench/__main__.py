"""Run every benchmark beside its naive baseline and write BENCHMARKS.md.

    python -m bench [--sizes 100000,1000000] [--quick] [--out BENCHMARKS.md] [--resume]

Per size: demo data, ingest (vs sqlite-utils insert_all), correlation rebuild, incremental batch
and quality (vs an any-shared-entity union-find), the alerts screen (vs Textual's DataTable),
search (vs rapidfuzz over every title), report generation on a demo incident, suppression
simulate and the 100-rule ingest slow-down. Once: knowledge-base load and the three reports for
a 100-alert incident. Figures go to a JSON file beside the report after every step and the
report is rewritten each time, so an interrupted run leaves what finished; `--resume` skips
the steps that file already holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import stages
from bench.report import machine, write_report

QUICK_SIZE = 20_000
BIG = 1_000_000  # above this, ingest runs once: an import of 1M alerts takes minutes


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated alert counts")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} alerts, one run each")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/data"))
    parser.add_argument("--resume", action="store_true", help="keep the steps already measured")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite the report from "
        "the figures file (with --resume and any --merge)",
    )
    parser.add_argument("--datatable-max", type=int, default=BIG, help="largest DataTable run")
    parser.add_argument("--datatable-timeout", type=float, default=900, help="seconds")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="add the sizes another run's "
        "JSON file holds (runs of different sizes made in parallel)",
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = str(QUICK_SIZE), 1
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    return args


class Run:
    """The figures so far, saved and rendered after every step."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.out: Path = args.out
        self.render_only: bool = args.render_only
        self.json = args.workdir.parent / f"{args.out.stem}.json"
        previous = json.loads(self.json.read_text()) if args.resume and self.json.exists() else {}
        self.results: dict = previous or {
            "meta": {
                "machine": machine(),
                "command": "python -m bench " + " ".join(sys.argv[1:]),
                "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "runs": args.runs,
                "quick": args.quick,
                "sizes": args.size_list,
            },
            "errors": {},
        }
        if previous and not args.render_only:
            command = "python -m bench " + " ".join(sys.argv[1:])
            previous["meta"]["resumed"] = [*previous["meta"].get("resumed", []), command]

    def step(self, where: dict, name: str, label: str, measure: Callable[[], dict]) -> bool:
        """Measure unless already measured; False if the step failed."""
        if name in where:
            print(f"[bench] {label}: kept from the previous run", file=sys.stderr)
            return True
        print(f"[bench] {label} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            where[name] = measure()
        except Exception as error:  # one broken benchmark must not lose the others' figures
            traceback.print_exc()
            self.results["errors"][label] = f"{type(error).__name__}: {error}"
            self.save()
            return False
        self.results["errors"].pop(label, None)
        print(f"[bench] {label}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        self.save()
        return True

    def merge(self, other: Path) -> None:
        """Take the sizes another run measured (sizes run in parallel), naming that run."""
        theirs = json.loads(other.read_text())
        self.results.setdefault("sizes", {}).update(theirs.get("sizes", {}))
        self.results["errors"].update(theirs.get("errors", {}))
        merged = [m for m in self.results["meta"].get("merged", []) if m["file"] != str(other)]
        self.results["meta"]["merged"] = [*merged, {"file": str(other), **theirs["meta"]}]

    def save(self) -> None:
        meta = self.results["meta"]
        if not self.render_only:
            meta["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            meta["load_last"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        self.json.parent.mkdir(parents=True, exist_ok=True)
        self.json.write_text(json.dumps(self.results, indent=1))
        write_report(self.results, self.out)


def _size(run: Run, args: argparse.Namespace, alerts: int) -> None:
    where = run.results.setdefault("sizes", {}).setdefault(str(alerts), {})
    data = stages.Dataset.at(args.workdir, alerts, batches=args.runs)
    ingest_runs = 1 if alerts >= BIG else args.runs
    tag = f"{alerts:,}"
    if "ingest" not in where and not run.step(
        where, "prepare", f"{tag}: demo data", lambda: stages.prepare(data)
    ):
        return
    if not run.step(where, "ingest", f"{tag}: ingest", lambda: stages.ingest(data, ingest_runs)):
        return
    if not run.step(where, "correlation", f"{tag}: correlation", lambda: stages.correlation(data)):
        return  # every later step reads the correlated work.db
    run.step(where, "ui", f"{tag}: alerts screen", lambda: stages.ui(data, args.runs))
    run.step(
        where, "search_baseline", f"{tag}: search baseline", lambda: stages.search_baseline(data)
    )
    run.step(where, "reports", f"{tag}: reports", lambda: stages.demo_reports(data, args.runs))
    run.step(
        where, "suppression", f"{tag}: suppression", lambda: stages.suppression(data, args.runs)
    )
    run.step(  # last: it may take many minutes, or time out
        where,
        "datatable",
        f"{tag}: DataTable baseline",
        lambda: stages.datatable(data, args.datatable_max, args.datatable_timeout),
    )


def main() -> None:
    args = _arguments()
    run = Run(args)
    for other in args.merge:
        run.merge(other)
    run.save()
    if args.render_only:
        return
    run.step(run.results, "intel", "knowledge base and reports", lambda: stages.intel(args.runs))
    for alerts in args.size_list:
        _size(run, args, alerts)
    run.results["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    run.save()
    print(f"[bench] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
