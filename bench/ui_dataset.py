"""A synthetic alert database of any size for the UI benchmark (independent of the demo data).

Titles, resources and entities repeat the way a real tenant's do: a few hundred alert kinds,
thousands of hosts and accounts, random times over 90 days, a sprinkling of hostile titles.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.model import Alert, EntityType, Intent, Severity, entity_key
from tui.model.alert import Entity
from tui.model.clock import iso
from tui.store import Store
from tui.store.alerts import upsert_alerts

_VERBS = ("Suspicious", "Unusual", "Anomalous", "Malicious", "Possible", "Detected")
_THINGS = (
    "process executed",
    "PowerShell command line",
    "sign-in from a new location",
    "credential dumping with mimikatz",
    "outbound connection to a known C2 server",
    "access to a storage account",
    "privilege escalation attempt",
    "ransomware file encryption",
    "SQL injection attempt",
    "brute force attack on RDP",
    "download of a known malware tool",
    "Kubernetes API request",
    "DNS query to a rare domain",
    "mass file deletion",
)
_HOSTILE = (
    "[@click=app.quit]x[/]",
    "[/x] broken markup",
    "\x1b]52;c;cHduZWQ=\x07 clipboard",
    "invoice\u202efdp.exe dropped",
)
_TITLES = [f"{v} {t}" for v in _VERBS for t in _THINGS]
_PRODUCTS = ("Microsoft Defender for Cloud", "Microsoft Defender for Endpoint", "Azure Sentinel")
BASE = datetime(2026, 11, 1, tzinfo=UTC)


def _alert(rng: random.Random, n: int) -> Alert:
    title = _TITLES[rng.randrange(len(_TITLES))] if n % 997 else _HOSTILE[n % len(_HOSTILE)]
    host = f"vm-{rng.randrange(5000):04d}"
    user = f"user{rng.randrange(3000)}"
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    when = iso(BASE - timedelta(seconds=rng.randrange(90 * 86400)))
    entities = [
        Entity(EntityType.HOST, host, entity_key(EntityType.HOST, host)),
        Entity(EntityType.ACCOUNT, user, entity_key(EntityType.ACCOUNT, user)),
        Entity(EntityType.IP, ip, entity_key(EntityType.IP, ip)),
    ]
    resource = (
        f"/subscriptions/0000/resourcegroups/rg-{rng.randrange(40)}"
        f"/providers/microsoft.compute/virtualmachines/{host}"
    )
    return Alert(
        source_id=f"bench-{n}",
        source_format="defender",
        alert_type=f"VM_{_THINGS.index(title.split(' ', 1)[1]) if title in _TITLES else 99}",
        alert_display_name=title,
        severity=Severity.from_rank(rng.choice((0, 1, 1, 2, 2, 2, 3))),
        start_time_utc=when,
        end_time_utc=when,
        intent=(rng.choice(list(Intent)),),
        resource_id=resource,
        compromised_entity=host,
        product_name=rng.choice(_PRODUCTS),
        entities=entities,
        raw=json.dumps({"n": n}),
    )


def build(path: Path, alerts: int, *, seed: int = 7, batch: int = 5000) -> Path:
    """Create `path` with `alerts` synthetic alerts unless it already holds that many."""
    store = Store(path)
    have = store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    rng = random.Random(seed)
    for start in range(have, alerts, batch):
        chunk = [_alert(rng, n) for n in range(start, min(start + batch, alerts))]
        upsert_alerts(store.conn, chunk)
    store.close()
    return path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    build(args.db, args.alerts)
