"""Alerts-screen benchmark: first paint, page down, search, peak RSS; Textual DataTable baseline.

    python -m bench.bench_ui --alerts 100000 [--runs 3] [--baseline]

Each run is a fresh process (headless Textual, 100x30) so start-up and RSS are honest. The
database is synthetic (bench/ui_dataset.py) and built once per size under /tmp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()
SIZE = (100, 30)
PAGES = 10
# A typo of "mimikatz"; `python -m bench` sets one that hits the demo data instead.
QUERY = os.environ.get("BENCH_UI_QUERY", "mimkatz")


async def until(pilot, predicate, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not show what was expected")
        await asyncio.sleep(0.002)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _measure_app(db: Path) -> dict:
    from tui.store import Store
    from tui.ui.alert_list import AlertList
    from tui.ui.app import ThreatdeskApp

    out: dict = {"imports_s": time.perf_counter() - STARTED}  # Python + Textual, not our work
    app = ThreatdeskApp(Store(db))
    async with app.run_test(size=SIZE) as pilot:

        def painted() -> bool:
            screen = app.screen
            lists = screen.query(AlertList)
            if not lists:
                return False
            listing = lists.first()
            top = listing.scroll_offset.y
            window = listing.keys[top : top + listing.size.height]
            return bool(window) and all(listing.row(k) is not None for k in window)

        await until(pilot, painted, timeout=60)
        out["first_paint_s"] = time.perf_counter() - STARTED
        listing = app.screen.query_one(AlertList)
        await until(pilot, lambda: len(listing.keys) > 1000, timeout=60)  # full key array
        pages = []
        for _ in range(PAGES):
            t = time.perf_counter()
            app.simulate_key("pagedown")  # pilot.press adds its own ~80 ms of settling
            await asyncio.sleep(0)
            await until(pilot, painted, timeout=10)
            pages.append(time.perf_counter() - t)
            await pilot.pause(0.05)
        out["page_down_ms"] = statistics.median(pages) * 1000
        await pilot.press("g", "slash", *QUERY[:-1])
        await pilot.pause(0.5)
        t = time.perf_counter()
        app.screen.query_one("#prompt").insert_text_at_cursor(QUERY[-1])  # the last keystroke
        await until(pilot, lambda: app.screen.shown_search == QUERY and painted(), timeout=30)
        out["search_ms"] = (time.perf_counter() - t) * 1000
        out["search_hits"] = len(listing.keys)
        out["top_hit"] = listing.row(listing.keys[0]).title if listing.keys else ""
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


async def _measure_datatable(db: Path) -> dict:
    """The thing to beat: Textual's DataTable holding every row."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import DataTable

    from tui.model import display
    from tui.store import Store

    store = Store(db)
    # Text cells: a str cell is parsed as markup and the hostile titles crash the table.
    rows = [
        tuple(Text(display(v, 200)) for v in row)
        for row in store.conn.execute(
            "SELECT severity, alert_display_name, resource_id, start_time_utc, status"
            " FROM alerts ORDER BY start_time_utc DESC"
        )
    ]

    class Baseline(App):
        def compose(self):
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("sev", "title", "resource", "time", "status")
            table.add_rows(rows)

    app = Baseline()
    out: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        await until(pilot, lambda: table.row_count == len(rows), timeout=600)
        await pilot.pause()
        out["first_paint_s"] = time.perf_counter() - STARTED
        t = time.perf_counter()
        await pilot.press("pagedown")
        await pilot.pause()
        out["page_down_ms"] = (time.perf_counter() - t) * 1000
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


async def _measure_floor(_db: Path) -> dict:
    """The floor: a one-label Textual app, from launch to its first paint."""
    from textual.app import App
    from textual.widgets import Label

    class Hello(App):
        def compose(self):
            yield Label("hello")

    app = Hello()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        out = {"first_paint_s": time.perf_counter() - STARTED}
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


MEASURES = {"app": _measure_app, "datatable": _measure_datatable, "textual": _measure_floor}


def _child(db: Path, mode: str) -> None:
    print(json.dumps(asyncio.run(MEASURES[mode](db))))


def _run(db: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_ui", "--child", mode, "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "?")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cpus, {mem:.0f} GiB, {cpu}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--baseline", action="store_true", help="also time Textual's DataTable")
    parser.add_argument("--child", choices=tuple(MEASURES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/threatdesk-bench-{args.alerts}.db")
    if args.child:
        _child(db, args.child)
        return
    from bench.ui_dataset import build

    build(db, args.alerts)
    print(f"machine: {_machine()}\ndatabase: {db} ({args.alerts:,} alerts)")
    # "textual" is the floor: an empty Textual app's launch on this machine, right now. Runs
    # alternate between modes so that a noisy minute weighs on both alike.
    modes = ["textual", "app", "datatable"] if args.baseline else ["textual", "app"]
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    for i in range(args.runs):
        for mode in modes:
            if mode != "datatable" or i == 0:  # the baseline takes a minute: once
                results[mode].append(_run(db, mode))
    for mode, runs in results.items():
        print(f"{mode} ({len(runs)} runs, median):")
        for key in runs[0]:
            values = [r[key] for r in runs]
            if isinstance(values[0], float):
                print(
                    f"  {key:<14} {statistics.median(values):10.3f}   runs: "
                    + ", ".join(f"{v:.3f}" for v in values)
                )
            else:
                print(f"  {key:<14} {values[0]}")


if __name__ == "__main__":
    main()
