"""The naive baselines each area is measured against, for the ones no area benchmark times.

- search: rapidfuzz over every alert title, no FTS5 (what a search without an index costs);
- correlation: union-find over every shared entity (`bench_correlation.naive_groups`), timed.

Textual's DataTable (`bench.bench_ui --child datatable`) and sqlite-utils `insert_all` with
default settings (`bench.bench_ingest`) are timed by their area benchmarks.
Each function runs in a child process (`bench.child`) so its peak RSS is its own.
"""

from __future__ import annotations

import statistics
import time

from rapidfuzz import fuzz, process


def rapidfuzz_titles(db: str, query: str, runs: int = 3) -> dict:
    """Load every title (as an app without FTS would have to), then rank all of them."""
    import sqlite_utils

    started = time.perf_counter()
    table = sqlite_utils.Database(db)["alerts"]
    titles = [row["alert_display_name"] for row in table.rows_where(select="alert_display_name")]
    load = time.perf_counter() - started
    ranks = []
    for _ in range(runs):
        started = time.perf_counter()
        best = process.extract(query, titles, scorer=fuzz.WRatio, processor=str.lower, limit=100)
        ranks.append(time.perf_counter() - started)
    return {
        "titles": len(titles),
        "load_s": load,
        "rank_s": statistics.median(ranks),
        "search_ms": (load + statistics.median(ranks)) * 1000,
        "top_hit": best[0][0] if best else "",
    }


def any_shared_entity(db: str) -> dict:
    """Time the naive correlator over the whole store (its quality is scored by
    bench_correlation beside the engine's)."""
    from bench.bench_correlation import naive_groups
    from tui.store import Store

    store = Store(db)
    started = time.perf_counter()
    groups = naive_groups(store.conn)
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "alerts_linked": len(groups), "groups": len(set(groups.values()))}
