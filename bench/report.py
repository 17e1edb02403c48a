"""BENCHMARKS.md from the figures `python -m bench` collected (never edited by hand).

`write_report(results, path)` renders whatever has been measured so far: a step that has not
run yet shows as "not measured", so a partial run still gives a readable report.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MISSING = "not measured"


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GiB",
        "os": _os_name(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} (Linux {platform.release()})"
    except OSError:
        pass
    return platform.platform()


# --- small formatting helpers ---------------------------------------------------------------


def _med(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _share(value: float) -> str:
    """A precision or recall: four decimals, or two significant digits when that shows 0."""
    return f"{value:.4f}" if value >= 0.001 or value == 0 else f"{value:.1e}"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:,.1f}x" if theirs else "—"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def _get(results: dict, *path: str) -> object:
    node: object = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _sizes(results: dict) -> list[tuple[int, dict]]:
    return sorted((int(n), figures) for n, figures in results.get("sizes", {}).items())


# --- figures derived from a size's results ---------------------------------------------------


def ingest_rate(figures: dict, kind: str) -> float | None:
    runs = _get(figures, "ingest", kind)
    return _med(r["alerts"] / r["seconds"] for r in runs) if runs else None


def ingest_rss(figures: dict, kind: str) -> float | None:
    runs = _get(figures, "ingest", kind)
    return max(r["peak_rss_mib"] for r in runs) if runs else None


def ui_median(figures: dict, key: str) -> float | None:
    runs = _get(figures, "ui", "app")
    return _med(r[key] for r in runs) if runs else None


def import_seconds(figures: dict, kind: str = "threatdesk") -> float | None:
    runs = _get(figures, "ingest", kind)
    return _med(r["seconds"] for r in runs) if runs else None


def slowdown(figures: dict) -> float | None:
    """Median import time with 100 enabled rules over the median without, from the same
    interleaved ingest runs."""
    plain, ruled = import_seconds(figures), import_seconds(figures, "threatdesk+rules")
    return ruled / plain - 1 if plain and ruled else None


def simulate_worst(figures: dict) -> float | None:
    shapes = _get(figures, "suppression", "simulate")
    return max(s["median_s"] for s in shapes) if shapes else None


def report_worst(types: dict | None, cpu: bool = False) -> float | None:
    """The slowest type's median `generate_report` time, wall clock (or CPU)."""
    return max(t["total"][int(cpu)] for t in types.values()) if types else None


# --- targets ---------------------------------------------------------------------------------


def _growth(measure: Callable[[dict], float | None]) -> Callable[[dict], float | None]:
    """The figure at the largest size divided by the one at the smallest (sizes' results)."""

    def ratio(sizes: list[tuple[int, dict]]) -> float | None:
        small, large = measure(sizes[0][1]), measure(sizes[-1][1])
        return large / small if small and large else None

    return ratio


@dataclass(frozen=True)
class Target:
    issue: int
    what: str
    size: str  # "each", "largest", "once", or "growth" (largest size / smallest; 2+ sizes)
    measure: Callable[[dict], float | None]
    unit: str
    met: Callable[[float], bool]
    digits: int = 2
    note: Callable[[dict], str] | None = None  # shown after the figure


TARGETS = (
    Target(2, "ingest end to end ≥ 50,000 alerts/s", "each",
           lambda f: ingest_rate(f, "threatdesk"), "alerts/s", lambda v: v >= 50_000, 0),
    Target(2, "ingest memory does not grow with the file (read as: peak RSS ratio ≤ 1.5)", "growth",
           _growth(lambda f: ingest_rss(f, "threatdesk")), "x", lambda v: v <= 1.5, 2),
    Target(3, "correlation precision ≥ 0.98 (demo ground truth)", "each",
           lambda f: _get(f, "correlation", "engine", "quality", "precision"), "",
           lambda v: v >= 0.98, 3),
    Target(3, "correlation recall ≥ 0.95 (demo ground truth)", "each",
           lambda f: _get(f, "correlation", "engine", "quality", "recall"), "",
           lambda v: v >= 0.95, 3),
    Target(3, "full rebuild ≤ 30 s at 1M", "largest",
           lambda f: _get(f, "correlation", "engine", "rebuild_seconds_median"), "s",
           lambda v: v <= 30, 1),
    Target(3, "1,000-alert batch ≤ 0.3 s at 1M", "largest",
           lambda f: _get(f, "correlation", "engine", "incremental_seconds_median"), "s",
           lambda v: v <= 0.3, 3),
    Target(3, "rebuild memory bounded (read as: peak RSS ratio ≤ 1.5 for 10x the alerts)", "growth",
           _growth(lambda f: _get(f, "correlation", "engine", "rebuild_peak_rss_mb")), "x",
           lambda v: v <= 1.5, 2),
    Target(4, "first paint ≤ 1 s at 1M", "largest",
           lambda f: ui_median(f, "first_paint_s"), "s", lambda v: v <= 1, 2),
    Target(4, "page down ≤ 50 ms at 1M", "largest",
           lambda f: ui_median(f, "page_down_ms"), "ms", lambda v: v <= 50, 1),
    Target(4, "search ≤ 200 ms at 1M", "largest",
           lambda f: ui_median(f, "search_ms"), "ms", lambda v: v <= 200, 0),
    Target(4, "alerts screen peak RSS < 200 MB at 1M", "largest",
           lambda f: ui_median(f, "peak_rss_mb"), "MiB", lambda v: v < 200 * 1e6 / 2**20, 0),
    Target(6, "100 rules slow ingest by < 20%", "each",
           slowdown, "%",
           lambda v: v < 0.20, 1),
    Target(6, "simulate ≤ 1 s at 1M (slowest rule shape)", "largest",
           simulate_worst, "s", lambda v: v <= 1, 2),
    Target(8, "each report type < 1 s for a 100-alert incident", "once",
           lambda r: report_worst(_get(r, "intel", "types")), "s wall", lambda v: v < 1, 2,
           lambda r: f"(CPU {report_worst(_get(r, 'intel', 'types'), cpu=True):.2f} s)"),
)  # fmt: skip


def _with_unit(value: float, t: Target) -> str:
    if t.unit == "%":
        return f"{value:.{t.digits}%}"
    return f"{_num(value, t.digits)}{'' if t.unit == 'x' else ' '}{t.unit}".rstrip()


def _target_rows(results: dict) -> list[list[str]]:
    sizes = _sizes(results)
    rows = []
    for t in TARGETS:
        if t.size == "growth":
            if len(sizes) < 2:
                continue
            places = [(f"{sizes[-1][0]:,} / {sizes[0][0]:,}", sizes)]
        elif t.size == "once":
            places = [("—", results)]
        elif t.size == "largest":
            places = [(f"{n:,}", f) for n, f in sizes if n == max(n for n, _ in sizes)]
        else:
            places = [(f"{n:,}", f) for n, f in sizes]
        for size, figures in places or [("—", {})]:
            value = t.measure(figures)
            shown = MISSING if value is None else _with_unit(value, t)
            if value is not None and t.note:
                shown += f" {t.note(figures)}"
            mark = "—" if value is None else ("**MET**" if t.met(value) else "**MISSED**")
            rows.append([f"#{t.issue}", t.what, size, shown, mark])
    return rows


# --- sections --------------------------------------------------------------------------------


def _runs(runs: int) -> str:
    if runs == 1:
        return "One run of each measurement."
    return f"Medians of {runs} runs (one run of an import of 1M alerts or more)."


def _header(results: dict) -> list[str]:
    meta = results["meta"]
    m = meta["machine"]
    state = (
        f"finished {meta['finished']}"
        if meta.get("finished")
        else f"**partial**: last step finished {meta.get('updated', '?')}"
    )
    return [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (bench/__main__.py); never edited by hand. "
        f"{_runs(meta['runs'])} Each measurement whose "
        "memory matters runs in its own process; peak RSS is that process's high-water mark.",
        "",
        f"- Command: `{meta['command']}`",
        f"- Run: started {meta['started']}, {state}",
        *(f"- Resumed (steps measured before were kept) by `{c}`" for c in meta.get("resumed", [])),
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}; load average at the start {m['load']},"
        f" at the last step {meta.get('load_last', '?')}",
        *(
            f"- Sizes {', '.join(f'{n:,}' for n in other['sizes'])} were measured by "
            f"`{other['command']}` (started {other['started']}, load average "
            f"{other['machine']['load']}"
            + "".join(f"; resumed by `{c}`" for c in other.get("resumed", []))
            + f") and merged from `{other['file']}`"
            for other in meta.get("merged", [])
        ),
        "- The machine is shared with other work: absolute times are noisy; ratios measured in "
        "the same run are the steadier figure.",
        "",
    ]


def _floor_rates(f: dict) -> tuple[str, str, str]:
    """Single-core alerts/s of orjson.loads alone and of the id + raw INSERT alone; alerts/s of
    the import's parse workers alone, on all cores."""
    runs = _get(f, "ingest", "floor")
    if not runs:
        return MISSING, MISSING, MISSING
    rates = [_med(r["alerts"] / r[k] for r in runs) for k in ("parse_s", "insert_s")]
    workers = [r["alerts"] / r["normalize_s"] for r in runs if "normalize_s" in r]
    return *map(_num, rates), _num(_med(workers)) if workers else MISSING


def _ingest(sizes: list[tuple[int, dict]]) -> list[str]:
    rows = []
    for n, f in sizes:
        ours, base = ingest_rate(f, "threatdesk"), ingest_rate(f, "sqlite-utils")
        if ours is None or base is None:
            rows.append([f"{n:,}"] + [MISSING] * 10)
            continue
        runs = f["ingest"]["threatdesk"]
        jsonl = _get(f, "prepare", "jsonl_mib")
        rows.append([
            f"{n:,}", "—" if jsonl is None else _num(jsonl), str(len(runs)), _num(ours),
            _num(base), _ratio(ours, base), *_floor_rates(f),
            f"{_num(ingest_rss(f, 'threatdesk'))} / {_num(ingest_rss(f, 'sqlite-utils'))}",
            _num(runs[-1]["db_mib"]),
        ])  # fmt: skip
    return [
        "## Ingest (issue 2)",
        "",
        "Demo alerts as Defender JSON Lines, imported end to end into a fresh database "
        "(`bench.bench_ingest`: parse, validate, normalize, entities, techniques, FTS, with the "
        "suppression screen as `threatdesk import` runs it). Baseline: sqlite-utils "
        "`insert_all` with default settings on the same records (flattened, no entities, no "
        "index). Floor, on one core: `orjson.loads` of every line and nothing else; one "
        "`executemany` of (id, verbatim record) rows into a bare table and nothing else. Any "
        "importer that parses each record and keeps it verbatim pays at least both. Ceiling: "
        "threatdesk's reader and parse workers alone, on all cores, with nothing stored; no "
        "import can be faster on this machine without faster parsing and normalizing. A "
        "fresh database is a bulk load: the secondary indexes are built once at the end, "
        "inside the measured time. RSS includes the parse workers. Runs are interleaved; "
        "where there is one run (1M alerts) the importers may have seen different load from "
        "other work.",
        "",
        *_table(
            [
                "alerts",
                "JSONL MiB",
                "runs",
                "threatdesk alerts/s",
                "sqlite-utils alerts/s",
                "ratio",
                "floor: orjson.loads only, alerts/s",
                "floor: INSERT id + raw only, alerts/s",
                "ceiling: parse workers only, all cores, alerts/s",
                "peak RSS MiB (ours / baseline)",
                "DB MiB",
            ],
            rows,
        ),
    ]


def _correlation(sizes: list[tuple[int, dict]]) -> list[str]:
    perf, quality = [], []
    for n, f in sizes:
        engine, naive = _get(f, "correlation", "engine"), _get(f, "correlation", "naive")
        if not engine or not naive:
            perf.append([f"{n:,}"] + [MISSING] * 6)
            continue
        perf.append([
            f"{n:,}", _num(engine["rebuild_seconds_median"], 1),
            _num(engine["rebuild_peak_rss_mb"]), _num(engine["incremental_seconds_median"], 3),
            "yes" if engine["incremental_equals_rebuild"] else "**no**",
            _num(naive["seconds"], 1), _num(naive["peak_rss_mib"]),
        ])  # fmt: skip
        ours, theirs = engine["quality"], engine["baseline_any_shared_entity"]
        for name, q in (("engine", ours), ("any shared entity", theirs)):
            quality.append([
                f"{n:,}", name, _share(q["precision"]), _share(q["recall"]), _share(q["f1"]),
                _num(q["groups"]),
            ])  # fmt: skip
    return [
        "## Correlation (issue 3)",
        "",
        "`bench.bench_correlation` on the demo store: full rebuild (fresh process, all incidents "
        "dropped first), then 1,000-alert batches imported and correlated incrementally, after "
        "which a rebuild must give the same incidents. Baseline: union-find over every shared "
        "entity (no stop-list, no time window), timed in its own process.",
        "",
        *_table(
            [
                "alerts",
                "rebuild s",
                "rebuild RSS MiB",
                "1,000-alert batch s",
                "incremental = rebuild",
                "naive union-find s",
                "naive RSS MiB",
            ],
            perf,
        ),
        "Pairwise quality against the demo generator's ground truth (scenario instances):",
        "",
        *_table(["alerts", "correlator", "precision", "recall", "F1", "groups"], quality),
    ]


def _ui(sizes: list[tuple[int, dict]]) -> list[str]:
    rows = []
    for n, f in sizes:
        app, table = _get(f, "ui", "app"), f.get("datatable")
        fuzzy = _get(f, "search_baseline")
        if not app:
            rows.append([f"{n:,}"] + [MISSING] * 5)
        else:
            rows.append([
                f"{n:,}", "threatdesk", _num(ui_median(f, "first_paint_s"), 2),
                _num(ui_median(f, "page_down_ms"), 1), _num(ui_median(f, "search_ms")),
                _num(ui_median(f, "peak_rss_mb")),
            ])  # fmt: skip
        if table and "skipped" not in table:
            rows.append([
                f"{n:,}", "DataTable, all rows", _num(table["first_paint_s"], 2),
                _num(table["page_down_ms"], 1), "—", _num(table["peak_rss_mb"]),
            ])  # fmt: skip
            if app:
                rows.append([
                    f"{n:,}", "ratio (DataTable / ours)",
                    _ratio(table["first_paint_s"], ui_median(f, "first_paint_s")),
                    _ratio(table["page_down_ms"], ui_median(f, "page_down_ms")), "—",
                    _ratio(table["peak_rss_mb"], ui_median(f, "peak_rss_mb")),
                ])  # fmt: skip
        else:
            skipped = table["skipped"] if table else MISSING
            rows.append([f"{n:,}", "DataTable, all rows", skipped, "—", "—", "—"])
        if fuzzy:
            rows.append([
                f"{n:,}", f"rapidfuzz over {fuzzy['titles']:,} titles, no FTS", "—", "—",
                f"{_num(fuzzy['search_ms'])} (load {_num(fuzzy['load_s'] * 1000)}"
                f" + rank {_num(fuzzy['rank_s'] * 1000)})", _num(fuzzy["peak_rss_mib"]),
            ])  # fmt: skip
            if app:
                rows.append([
                    f"{n:,}", "ratio (rapidfuzz / ours)", "—", "—",
                    _ratio(fuzzy["search_ms"], ui_median(f, "search_ms")), "—",
                ])  # fmt: skip
    return [
        "## Alerts screen (issue 4)",
        "",
        "`bench.bench_ui` children on the correlated demo store, headless Textual at 100×30: "
        "launch to the first fully painted list (Python and Textual imports included), page "
        "down until painted (median of 10), the last keystroke of a typo'd search "
        "(`credntial dumping`) until results are painted, peak RSS. Baselines: Textual's "
        "DataTable holding every row (`--child datatable`, one run), and rapidfuzz `WRatio` "
        "over every title loaded from the table without FTS.",
        "",
        *_table(
            ["alerts", "what", "first paint s", "page down ms", "search ms", "peak RSS MiB"], rows
        ),
    ]


def _suppression(sizes: list[tuple[int, dict]]) -> list[str]:
    shapes, ingest = [], []
    for n, f in sizes:
        for s in _get(f, "suppression", "simulate") or []:
            shapes.append([
                f"{n:,}", s["shape"], _num(s["matches"]), _num(s["median_s"], 3),
                _num(s["max_s"], 3),
            ])  # fmt: skip
        ruled = _get(f, "ingest", "threatdesk+rules")
        if not ruled:
            ingest.append([f"{n:,}"] + [MISSING] * 4)
            continue
        ingest.append([
            f"{n:,}", _num(import_seconds(f) or 0, 1),
            _num(import_seconds(f, "threatdesk+rules") or 0, 1), f"{slowdown(f) or 0:.1%}",
            _num(ruled[-1]["dismissed"]),
        ])  # fmt: skip
    return [
        "## Suppression (issue 6)",
        "",
        "`bench.bench_suppression` functions on the demo store: `simulate` over every alert "
        "for several rule shapes (cold shape cache). The ingest step imports the same file "
        "into a fresh database with no rule and into one holding 100 enabled rules drawn from "
        "the file's own alerts (ingest-time suppression screens each alert as it is written), "
        "runs interleaved; the slow-down is the ratio of the median import times.",
        "",
        *_table(["alerts", "rule shape", "matches", "median s", "max s"], shapes),
        *_table(
            ["alerts", "import s, no rule", "import s, 100 rules", "slow-down", "dismissed"],
            ingest,
        ),
    ]


def _report_rows(label: str, types: dict) -> list[list[str]]:
    return [
        [label, kind, str(t["pages"]), *(f"{_num(t[p][0] * 1000)} / {_num(t[p][1] * 1000)}"
                                         for p in ("build", "render", "total"))]
        for kind, t in types.items()
    ]  # fmt: skip


def _intel(results: dict, sizes: list[tuple[int, dict]]) -> list[str]:
    intel = results.get("intel")
    rows = []
    kb = []
    if intel:
        alerts = intel["incident_alerts"]
        rows += _report_rows(f"synthetic incident, {alerts} alerts", intel["types"])
        kb.append([
            "MISP galaxies → fresh store", _num(intel["kb"]["parse_s"], 2),
            _num(intel["kb"]["parse_and_write_s"], 2), _num(intel["peak_rss_mib"]),
        ])  # fmt: skip
    for n, f in sizes:
        demo = f.get("reports")
        if demo:
            label = f"demo incident of {demo['incident_alerts']} alerts in a {n:,}-alert store"
            rows += _report_rows(label, demo["types"])
            kb.append([
                f"MISP galaxies → the {n:,}-alert store", "—", _num(demo["kb_load_s"], 2),
                _num(demo["peak_rss_mib"]),
            ])  # fmt: skip
    return [
        "## Threat intelligence and reports (issue 8)",
        "",
        "Knowledge-base load (`bench.bench_intel.bench_load`: parse the MISP galaxies, and parse "
        "plus write them with `threatdesk intel update`). Reports (`bench.bench_report."
        "bench_type`): wall / CPU milliseconds to build the content, render the PDF, and the "
        "whole `generate_report`; the first report of a store pays for the attribution "
        "weights, medians are of warm runs.",
        "",
        *_table(["load", "parse s", "parse + write s", "peak RSS MiB"], kb or [[MISSING] * 4]),
        *_table(
            ["incident", "type", "pages", "build ms", "render ms", "total ms"],
            rows or [[MISSING] * 6],
        ),
    ]


def render(results: dict) -> str:
    sizes = _sizes(results)
    lines = _header(results)
    lines += ["## Targets", "", *_table(["issue", "target", "alerts", "measured", "result"],
                                         _target_rows(results))]  # fmt: skip
    lines += _ingest(sizes) + _correlation(sizes) + _ui(sizes) + _suppression(sizes)
    lines += _intel(results, sizes)
    errors = results.get("errors") or {}
    if errors:
        lines += ["## Steps that failed", ""]
        lines += [f"- {step}: `{message}`" for step, message in errors.items()] + [""]
    return "\n".join(lines)


def write_report(results: dict, path: Path) -> None:
    path.write_text(render(results))
