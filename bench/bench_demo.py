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


def _generate(alerts: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds; CPU time is the steadier figure on a shared machine."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in iter_alerts(alerts, seed):
        pass
    return time.perf_counter() - started, time.process_time() - cpu


def _write(alerts: int, seed: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        files = write_demo(Path(tmp), alerts, seed)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = sum(p.stat().st_size for p in (files.alerts, files.inventory, files.truth))
    return seconds, cpu, size


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
    _report("generate", args.alerts, generate, peak_generate)
    size = writes[0][2]
    _report("write", args.alerts, [(w, c) for w, c, _ in writes], _peak_mib())
    print(f"files: {size / 1e6:,.0f} MB ({size / max(args.alerts, 1):,.0f} B/alert)")


def _report(phase: str, alerts: int, runs: list[tuple[float, float]], peak: float) -> None:
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    print(
        f"{phase:<8} median {wall:.2f} s wall, {alerts / wall:,.0f} alerts/s;"
        f" {cpu:.2f} s CPU, {alerts / cpu:,.0f} alerts/s"
        f" (wall runs: {', '.join(f'{w:.2f}' for w, _ in runs)}); peak RSS {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
