"""Suppression benchmark: ingest-time cost of 100 enabled rules, and simulate over the store.

    python -m bench.bench_suppression --alerts 100000 [--runs 5] [--workdir /tmp/bench-sup]

(a) Demo alerts (`tui.ingest.demo`) are imported end to end with `import_paths` into a fresh
    database; then 100 enabled rules, drawn from the imported noise (alert type plus a host, IP,
    command-line `similar`/`contains` or resource condition), are evaluated by `apply_to_new`
    on the new ids in import-sized batches, exactly as after each import. The ratio
    apply_to_new time / import time is the ingest slow-down (target < 20%).
(b) `simulate` over the whole store for several rule shapes, the shape cache cleared before
    every run (cold), median of --runs (target < 1 s at 1M alerts).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import time
from pathlib import Path

from tui.engine import suppression as sup
from tui.engine.suppression_rule import Condition, Op, Rule
from tui.engine.suppression_similar import anchor, shape
from tui.ingest.demo import write_demo
from tui.ingest.pipeline import import_paths
from tui.model import EntityType
from tui.store import Store
from tui.store import suppression as db

BATCH = 50_000  # new ids handed to apply_to_new at a time, as an import batch would be
RULES = 100


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({cpu}), {mem:.1f} GiB RAM, Python {platform.python_version()}"


def build(workdir: Path, alerts: int) -> tuple[Store, list[int], float]:
    if workdir.exists():
        shutil.rmtree(workdir)
    files = write_demo(workdir / "demo", alerts=alerts)
    store = Store(workdir / "bench.db")
    started = time.perf_counter()
    summary = import_paths(store, [files.alerts])
    return store, list(summary.new_ids), time.perf_counter() - started


def _noise_samples(store: Store, rng: random.Random) -> list[tuple[str, list[tuple]]]:
    """(alert type, entities) of random imported alerts, read through the engine's own path."""
    ids = rng.sample(range(1, store.conn.execute("SELECT max(id) FROM alerts").fetchone()[0]), 400)
    alerts: dict[int, tuple[str, list[tuple]]] = {}
    for aid, atype, _status, eid, etype, key, disp, data in db.alert_entity_rows(store.conn, ids):
        entry = alerts.setdefault(aid, (atype, []))
        if eid is not None:
            entry[1].append((etype, key, disp, data))
    return list(alerts.values())


def make_rules(store: Store, seed: int = 1) -> list[Rule]:
    """100 realistic rules: an alert type narrowed by one entity of a real alert of that type."""
    rng = random.Random(seed)
    rules: list[Rule] = []
    for atype, entities in _noise_samples(store, rng):
        if len(rules) == RULES:
            break
        cond = _condition(entities, rng)
        if cond is not None:
            rules.append(Rule(f"bench-{len(rules):03d}", atype, conditions=(cond,)))
    return rules


def _condition(entities: list[tuple], rng: random.Random) -> Condition | None:
    rng.shuffle(entities)
    for etype, key, disp, _data in entities:
        if etype == EntityType.HOST:
            return Condition("entities.host.hostname", Op.IN, values=(key,))
        if etype == EntityType.IP:
            return Condition("entities.ip.address", Op.IN, values=(key,))
        if etype == EntityType.AZURE_RESOURCE:
            return Condition("entities.azure-resource.resourceid", Op.IN, values=(key,))
        if etype == EntityType.PROCESS and len(disp) < 2000:
            if rng.random() < 0.5:
                return Condition("entities.process.commandline", Op.SIMILAR, text=disp)
            word = anchor(shape(disp))
            if word:
                return Condition("entities.process.commandline", Op.CONTAINS, text=word)
    return None


def ingest_overhead(store: Store, new_ids: list[int], import_seconds: float) -> dict:
    for rule in make_rules(store):
        sup.save_rule(store, rule, apply_existing=False, actor="bench")
    shape.cache_clear()
    started = time.perf_counter()
    dismissed = sum(
        sup.apply_to_new(store, new_ids[i : i + BATCH]) for i in range(0, len(new_ids), BATCH)
    )
    seconds = time.perf_counter() - started
    return {
        "import_s": import_seconds,
        "apply_s": seconds,
        "overhead": seconds / import_seconds,
        "dismissed": dismissed,
    }


def simulate_shapes(store: Store) -> dict[str, Rule]:
    """Rule shapes to simulate, taken from the busiest alert type and its commonest entities."""
    conn = store.conn
    atype = conn.execute(
        "SELECT alert_type FROM alerts GROUP BY alert_type ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]

    def commonest(kind: str) -> tuple[str, str]:
        return conn.execute(
            "SELECT e.key, e.display FROM alerts a JOIN alert_entities ae ON ae.alert_id = a.id"
            " JOIN entities e ON e.id = ae.entity_id WHERE a.alert_type = ? AND e.type = ?"
            " GROUP BY e.id ORDER BY count(*) DESC LIMIT 1",
            (atype, kind),
        ).fetchone() or ("", "")

    host, _ = commonest("host")
    ip, _ = commonest("ip")
    _, cmd = commonest("process")
    shapes = {"type only": Rule("s-type", atype)}
    if host:
        shapes["type + host"] = Rule(
            "s-host", atype, conditions=(Condition("entities.host.hostname", Op.IN, (host,)),)
        )
    if ip:
        shapes["any type, ip in"] = Rule(
            "s-ip", "*", conditions=(Condition("entities.ip.address", Op.IN, (ip,)),)
        )
    if cmd:
        similar = Condition("entities.process.commandline", Op.SIMILAR, text=cmd)
        shapes["type + similar cmdline"] = Rule("s-sim", atype, conditions=(similar,))
        shapes["any type, similar cmdline"] = Rule("s-sim-all", "*", conditions=(similar,))
        word = anchor(shape(cmd)) or "exe"
        contains = Condition("entities.process.commandline", Op.CONTAINS, text=word)
        shapes["any type, contains"] = Rule("s-contains", "*", conditions=(contains,))
    return shapes


def time_simulate(store: Store, runs: int) -> list[tuple[str, int, float, float]]:
    out = []
    for label, rule in simulate_shapes(store).items():
        times = []
        for _ in range(runs):
            shape.cache_clear()
            started = time.perf_counter()
            count = sup.simulate(store, rule).count
            times.append(time.perf_counter() - started)
        out.append((label, count, statistics.median(times), max(times)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-suppression"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    store, new_ids, import_s = build(args.workdir, args.alerts)
    alerts = store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    print(f"\nimported {alerts:,} demo alerts in {import_s:.1f} s ({alerts / import_s:,.0f}/s)")
    print(f"\n| simulate over {alerts:,} alerts | matches | median s | max s |")
    print("|---|---:|---:|---:|")
    for label, count, median, worst in time_simulate(store, args.runs):
        print(f"| {label} | {count:,} | {median:.3f} | {worst:.3f} |")
    result = ingest_overhead(store, new_ids, import_s)
    print(f"\n| ingest of {alerts:,} alerts | seconds |")
    print("|---|---:|")
    print(f"| import_paths (end to end) | {result['import_s']:.2f} |")
    print(
        f"| apply_to_new, {RULES} enabled rules, batches of {BATCH:,} | {result['apply_s']:.2f} |"
    )
    print(f"| slow-down | {result['overhead']:.1%} |")
    print(f"| alerts dismissed by the rules | {result['dismissed']:,} |")
    store.close()


if __name__ == "__main__":
    main()
