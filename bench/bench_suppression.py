"""Suppression benchmark: ingest-time cost of 100 enabled rules, and simulate over the store.

    python -m bench.bench_suppression --alerts 100000 [--runs 5] [--workdir /tmp/bench-sup]

(a) Demo alerts (`tui.ingest.demo`) are imported end to end, as `threatdesk import` does
    (`import_paths` with the ingest-time suppression screen), into a fresh database with no
    rule and into one with 100 enabled rules drawn from the file's own alerts (alert type plus
    a host, IP, command-line `similar`/`contains` or resource condition); the runs are
    interleaved, each in its own process (`bench.bench_ingest`). The ratio of the median
    import times is the ingest slow-down (target < 20%).
(b) `simulate` over the whole store for several rule shapes, the shape cache cleared before
    every run (cold), median of --runs (target < 1 s at 1M alerts).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path

from bench import bench_ingest
from tui.engine import suppression as sup
from tui.engine.suppression_rule import Condition, Op, Rule
from tui.engine.suppression_similar import anchor, shape
from tui.ingest import detect
from tui.ingest.demo import ALERT_FILE, write_demo
from tui.ingest.records import parse
from tui.model import EntityType
from tui.store import Store, incidents
from tui.store import suppression as db
from tui.store.alerts import prepare

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


def demo_file(workdir: Path, alerts: int) -> Path:
    """The demo alerts, kept between runs of the same size (writing 1M alerts takes minutes)."""
    demo = workdir / f"demo-{alerts}"
    done = demo / "complete"
    if not done.exists():
        shutil.rmtree(demo, ignore_errors=True)
        write_demo(demo, alerts=alerts)
        done.touch()
    return demo / ALERT_FILE


def _sample(store: Store, new_ids: list[int], size: int, rng: random.Random) -> list[tuple]:
    """(alert type, [(entity type, key, display, data)]) of random imported alerts."""
    ids = rng.sample(new_ids, min(size, len(new_ids)))
    alerts: dict[int, tuple[str, list[tuple]]] = {}
    for aid, atype, _status, eid, etype, key, disp, data in db.alert_entity_rows(store.conn, ids):
        entry = alerts.setdefault(aid, (atype, []))
        if eid is not None:
            entry[1].append((etype, key, disp, data))
    return list(alerts.values())


def _file_sample(source: Path, size: int, rng: random.Random) -> list[tuple]:
    """(alert type, entities) of `size` random alerts among the file's first 20,000 lines,
    normalized as the import does."""
    with source.open("rb") as lines:
        head = list(itertools.islice(lines, 20_000))
    adapter = detect.adapter("defender")
    alerts = (prepare(adapter.normalize(*parse(line))) for line in rng.sample(head, size))
    return [(a.alert_type, list(a.entities)) for a in alerts]


def make_rules(source: Path, seed: int = 1) -> list[Rule]:
    """100 realistic rules: an alert type narrowed by one entity of a real alert of that type."""
    rng = random.Random(seed)
    rules: list[Rule] = []
    for atype, entities in _file_sample(source, 400, rng):
        if len(rules) == RULES:
            break
        cond = _condition(entities, rng)
        if cond is not None:
            rules.append(Rule(f"bench-{len(rules):03d}", atype, conditions=(cond,)))
    return rules


def add_rules(store: Store, source: Path) -> None:
    for rule in make_rules(source):
        sup.save_rule(store, rule, apply_existing=False, actor="bench")
    shape.cache_clear()


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


def ingest_overhead(source: Path, workdir: Path, runs: int) -> dict:
    """Import times without and with the 100 rules, interleaved, each in a fresh process."""
    measured: dict[str, list[dict]] = {"threatdesk": [], "threatdesk+rules": []}
    for _ in range(runs):
        for kind, results in measured.items():
            results.append(bench_ingest._measure(kind, source, workdir))
    plain, ruled = (statistics.median(r["seconds"] for r in measured[k]) for k in measured)
    return {
        "import_s": plain,
        "with_rules_s": ruled,
        "overhead": ruled / plain - 1,
        "dismissed": measured["threatdesk+rules"][-1]["dismissed"],
        "runs": runs,
    }


def _busiest(sample: list[tuple], kind: str | None = None) -> tuple[str, Counter]:
    """The commonest alert type of the sample (among alerts with a `kind` entity), and how
    often each (entity type, key, display) occurs in its alerts."""
    types = Counter(t for t, ents in sample if kind is None or any(e[0] == kind for e in ents))
    atype = types.most_common(1)[0][0] if types else ""
    return atype, Counter(e[:3] for t, ents in sample if t == atype for e in ents)


def _commonest(counts: Counter, kind: str) -> tuple[str, str]:
    found = [(n, k, d) for (t, k, d), n in counts.items() if t == kind]
    return max(found)[1:] if found else ("", "")


def simulate_shapes(store: Store, new_ids: list[int]) -> dict[str, Rule]:
    """Rule shapes to simulate, from the busiest alert types of a sample and their commonest
    entities."""
    sample = _sample(store, new_ids, 5_000, random.Random(2))
    atype, counts = _busiest(sample)
    host, _ = _commonest(counts, "host")
    ip, _ = _commonest(counts, "ip")
    shapes = {"type only": Rule("s-type", atype)}
    if host:
        shapes["type + host"] = Rule(
            "s-host", atype, conditions=(Condition("entities.host.hostname", Op.IN, (host,)),)
        )
    if ip:
        shapes["any type, ip in"] = Rule(
            "s-ip", "*", conditions=(Condition("entities.ip.address", Op.IN, (ip,)),)
        )
    process_type, process_counts = _busiest(sample, "process")
    _, cmd = _commonest(process_counts, "process")
    if cmd:
        similar = Condition("entities.process.commandline", Op.SIMILAR, text=cmd)
        shapes["type + similar cmdline"] = Rule("s-sim", process_type, conditions=(similar,))
        shapes["any type, similar cmdline"] = Rule("s-sim-all", "*", conditions=(similar,))
        word = anchor(shape(cmd)) or "exe"
        contains = Condition("entities.process.commandline", Op.CONTAINS, text=word)
        shapes["any type, contains"] = Rule("s-contains", "*", conditions=(contains,))
    return shapes


def time_simulate(store: Store, new_ids: list[int], runs: int) -> list[tuple]:
    out = []
    for label, rule in simulate_shapes(store, new_ids).items():
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
    source = demo_file(args.workdir, args.alerts)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = ingest_overhead(source, args.workdir, min(args.runs, 3))
    print(f"\n| ingest of {args.alerts:,} alerts, median of {result['runs']} | seconds |")
    print("|---|---:|")
    print(f"| `threatdesk import`, no rule | {result['import_s']:.2f} |")
    print(f"| `threatdesk import`, {RULES} enabled rules | {result['with_rules_s']:.2f} |")
    print(f"| slow-down | {result['overhead']:.1%} |")
    print(f"| alerts dismissed by the rules | {result['dismissed']:,} |")
    store = Store(args.workdir / "threatdesk.db")
    ids = sorted(i for i, _sid in incidents.source_ids(store.conn))
    print(f"\n| simulate over {len(ids):,} alerts | matches | median s | max s |")
    print("|---|---:|---:|---:|")
    for label, count, median, worst in time_simulate(store, ids, args.runs):
        print(f"| {label} | {count:,} | {median:.3f} | {worst:.3f} |")
    store.close()


if __name__ == "__main__":
    main()
