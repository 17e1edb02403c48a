"""Demo generator benchmark: alerts/s and peak memory, generating and writing the demo files.

    python -m bench.bench_demo --alerts 100000 [--runs 3] [--seed 7]

`generate`: alert dicts from `iter_alerts` (what an ingest benchmark consumes). `write`:
`write_demo` end to end (JSON Lines alerts, truth file, Resource Graph inventory). Peak RSS
is the process high-water mark after each phase: it must not grow with --alerts.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from tui.ingest.demo import iter_alerts, write_demo


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _generate(alerts: int, seed: int) -> float:
    started = time.perf_counter()
    for _ in iter_alerts(alerts, seed):
        pass
    return time.perf_counter() - started


def _write(alerts: int, seed: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        started = time.perf_counter()
        files = write_demo(Path(tmp), alerts, seed)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (files.alerts, files.inventory, files.truth))
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {_cpu()}, Python {platform.python_version()}")
    print(f"alerts: {args.alerts:,}, runs: {args.runs}")
    generate = [_generate(args.alerts, args.seed) for _ in range(args.runs)]
    peak_generate = _peak_mib()
    writes = [_write(args.alerts, args.seed) for _ in range(args.runs)]
    seconds = statistics.median(generate)
    print(
        f"generate: median {seconds:.2f} s, {args.alerts / seconds:,.0f} alerts/s"
        f" (runs: {', '.join(f'{s:.2f}' for s in generate)}), peak RSS {peak_generate:.0f} MiB"
    )
    seconds = statistics.median(s for s, _ in writes)
    size = writes[0][1]
    print(
        f"write:    median {seconds:.2f} s, {args.alerts / seconds:,.0f} alerts/s,"
        f" {size / 1e6:,.0f} MB ({size / max(args.alerts, 1):,.0f} B/alert),"
        f" peak RSS {_peak_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
