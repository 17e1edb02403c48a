"""Deterministic demo data: Defender for Cloud alerts (ARM REST shape), inventory and truth.

`write_demo(directory, alerts, seed)` writes three files: the alerts as JSON Lines, a Resource
Graph export of every resource they touch, and the ground truth (which scenario instance each
alert belongs to; null for noise), kept outside the alerts so correlation can be scored.
Everything is streamed: a million alerts need no more memory than a thousand.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from tui.ingest.demo_catalog import AlertKind, alert_kind
from tui.ingest.demo_context import Contexts
from tui.ingest.demo_entities import AlertEntities, add_evidence
from tui.ingest.demo_remediation import remediation_steps
from tui.ingest.demo_scenarios import EXTRA_KINDS, NOISE, SCANNED, SCENARIOS, Scenario, Stage
from tui.ingest.demo_tenant import VICTIM_POOLS, DemoResource, Tenant, pick

DEFAULT_ALERTS = 3000
DEFAULT_SEED = 7
START = datetime(2026, 11, 2, tzinfo=UTC)  # fixed, so a seed always gives the same files
WINDOW_DAYS = 14
SCENARIO_SHARE = 0.06  # chance that the next unit is an attack rather than one noise alert
CORRELATION_KEY_SHARE = 0.3  # attacks that Defender itself tagged with a correlationKey
GRAPH_SHARE = 0.5  # alerts whose entities use $id/$ref rather than inline copies
NOISE_DISMISSED_SHARE = 0.04
SCANS_ON_VICTIM = (0, 0, 1, 2)  # scanner alerts on an attacked VM, drawn per attack
OPTIONAL_SKIP_SHARE = 0.3  # optional stages missing from an attack, as detections are

ALERT_FILE = "alerts.jsonl"
INVENTORY_FILE = "inventory.json"
TRUTH_FILE = "truth.jsonl"

_MAX_TICKS = 3155378975999999999  # .NET DateTime.MaxValue.Ticks: Defender's id prefix counts down
_UNIX_TICKS = 621355968000000000  # ticks at 1970-01-01
_PRODUCT_COMPONENT = {
    "windows-vm": "Servers",
    "linux-vm": "Servers",
    "network": "Servers",
    "kubernetes": "Containers",
    "key-vault": "KeyVaults",
    "app-service": "AppServices",
    "storage": "StorageAccounts",
}
_PLACEHOLDER = re.compile(r"%\{([^}]*)\}")


@dataclass(frozen=True)
class DemoFiles:
    alerts: Path  # Defender ARM alerts, one JSON object per line
    inventory: Path  # Resource Graph export: {"data": [...]}
    truth: Path  # {"id": <ARM id>, "scenario": <instance name> | null} per line


@dataclass(frozen=True, slots=True)
class DemoAlert:
    alert: dict[str, Any]
    scenario: str | None  # the scenario instance, None for noise


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
_MINUTES: dict[int, str] = {}  # minute -> "YYYY-MM-DDTHH:MM:"; the window has 20,160


def _stamp(t: float) -> str:
    """Defender's timestamp form: seven fractional digits, Z."""
    seconds, fraction = divmod(int(t * 10_000_000), 10_000_000)
    minute, second = divmod(seconds, 60)
    prefix = _MINUTES.get(minute)
    if prefix is None:
        prefix = _MINUTES[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime(
            "%Y-%m-%dT%H:%M:"
        )
    return f"{prefix}{_TWO_DIGITS[second]}.{fraction:07d}Z"


def _kind(stage: Stage) -> AlertKind:
    if stage.key in EXTRA_KINDS:
        name, description, severity, intent = EXTRA_KINDS[stage.key]
        return AlertKind(stage.key, name, description, severity, intent)
    return alert_kind(stage.catalog_kind, stage.key, stage.alert_type)


def _techniques(stage: Stage) -> tuple[list[str], list[str]]:
    subs = [t for t in stage.techniques if "." in t]
    parents = dict.fromkeys(t.split(".")[0] for t in stage.techniques)
    return list(parents), subs


class DemoGenerator:
    """Iterates `alerts` demo alerts for `seed`; afterwards lists the resources they touched."""

    def __init__(self, alerts: int = DEFAULT_ALERTS, seed: int = DEFAULT_SEED) -> None:
        if alerts < 0:
            raise ValueError("the number of alerts cannot be negative")
        self.alerts = alerts
        self.seed = seed
        self.tenant = Tenant(seed)
        self.rng = random.Random(f"alerts:{seed}")
        self.contexts = Contexts(self.tenant, self.rng)
        self.victims: Counter[str] = Counter()  # victim resources used, per resource kind
        self.start = START.timestamp()
        self.end = self.start + WINDOW_DAYS * 86400
        self._kinds = {s: _kind(s) for s in self._stages()}
        self._techniques = {s: _techniques(s) for s in self._kinds}
        # brute force and scanning report a time range; other detections one instant
        self._bursts = {s for s in self._kinds if any("inbound" in r for r in s.evidence)}
        self._noise_weights = list(itertools.accumulate(n.weight for n in NOISE))

    @staticmethod
    def _stages() -> Iterator[Stage]:
        for scenario in SCENARIOS:
            yield from scenario.stages
        for noise in NOISE:
            yield noise.stage

    def __iter__(self) -> Iterator[DemoAlert]:
        produced = 0
        for unit in itertools.count():
            if produced >= self.alerts:
                return
            if unit < len(SCENARIOS) or self.rng.random() < SCENARIO_SHARE:
                scenario = SCENARIOS[unit] if unit < len(SCENARIOS) else self._pick_scenario()
                batch = self._attack(scenario)
            else:
                batch = [self._noise()]
            for item in batch[: self.alerts - produced]:
                produced += 1
                yield item

    def _pick_scenario(self) -> Scenario:
        return SCENARIOS[self.rng.randrange(len(SCENARIOS))]

    def _attack(self, scenario: Scenario) -> list[DemoAlert]:
        rng = self.rng
        index = self.victims[scenario.victim]
        self.victims[scenario.victim] += 1
        resource = self.tenant.resource(VICTIM_POOLS[scenario.victim], index)
        name = f"{scenario.name}-{index:06d}"
        ctx = self.contexts.attack(resource)
        span = scenario.stages[-1].hours * 3600 * 1.2 + 3600
        t0 = self.start + rng.random() * (self.end - self.start - span)
        key = ""
        if rng.random() < CORRELATION_KEY_SHARE:
            digest = hashlib.blake2b(f"{self.seed}:{name}".encode(), digest_size=32).digest()
            key = base64.b64encode(digest).decode()
        out = []
        for i, stage in enumerate(scenario.stages):
            if i and stage.optional and rng.random() < OPTIONAL_SKIP_SHARE:
                continue
            t = t0 + stage.hours * 3600 * (0.85 + 0.3 * rng.random()) + rng.random() * 600
            alert = self._alert(stage, ctx, resource, t, "Active")
            if key:
                alert["properties"]["correlationKey"] = key
            out.append(DemoAlert(alert, name))
        if scenario.victim in ("windows-vm", "linux-vm"):
            out += self._scans(ctx, resource, t0, span)
        return out

    def _scans(
        self, ctx: dict[str, Any], resource: DemoResource, t0: float, span: float
    ) -> list[DemoAlert]:
        """Internet scanners hit an attacked VM too: noise on the attack's own resource."""
        rng = self.rng
        count = pick(rng, SCANS_ON_VICTIM)
        return [
            DemoAlert(self._alert(SCANNED, ctx, resource, t0 + rng.random() * span, "Active"), None)
            for _ in range(count)
        ]

    def _noise(self) -> DemoAlert:
        rng = self.rng
        noise = NOISE[
            bisect.bisect_right(self._noise_weights, rng.random() * self._noise_weights[-1])
        ]
        resource = pick(rng, self.tenant.pool(noise.pool))
        ctx = self.contexts.noise(resource)
        t = self.start + rng.random() * (self.end - self.start)
        status = "Dismissed" if rng.random() < NOISE_DISMISSED_SHARE else "Active"
        return DemoAlert(self._alert(noise.stage, ctx, resource, t, status), None)

    def _alert(
        self, stage: Stage, ctx: dict[str, Any], resource: DemoResource, t: float, status: str
    ) -> dict[str, Any]:
        rng = self.rng
        kind = self._kinds[stage]
        start = _stamp(t)
        ctx = self.contexts.for_alert(ctx, stage, start)
        end = t + 600 + 2400 * rng.random() if stage in self._bursts else t
        generated = end + 120 + 2280 * rng.random()
        alert_id = f"{_MAX_TICKS - (int(end * 1e7) + _UNIX_TICKS)}_{self.contexts.guid()}"
        entities = AlertEntities(ctx, rng.random() < GRAPH_SHARE, resource.location)
        properties: dict[str, Any] = {
            "status": status,
            "timeGeneratedUtc": _stamp(generated),
            "processingEndTimeUtc": _stamp(generated - rng.random()),
            "version": "2022-01-01.0",
            "vendorName": "Microsoft",
            "productName": "Microsoft Defender for Cloud",
            "productComponentName": _PRODUCT_COMPONENT[stage.catalog_kind],
            "alertType": kind.alert_type,
            "startTimeUtc": start,
            "endTimeUtc": _stamp(end) if end != t else start,
            "severity": kind.severity,
            "isIncident": False,
            "systemAlertId": alert_id,
            "intent": kind.intent,
            "resourceIdentifiers": [self._identifier(entities)],
            "compromisedEntity": ctx["host"],
            "alertDisplayName": kind.display_name,
            "description": _fill(kind.description, ctx),
            "remediationSteps": remediation_steps(stage, ctx, rng),
            "extendedProperties": _extended_properties(kind, stage, ctx, resource),
            "entities": add_evidence(entities),
            "alertUri": _alert_uri(alert_id, resource),
        }
        parents, subs = self._techniques[stage]
        if parents:
            properties["techniques"] = parents
            properties["subTechniques"] = subs
        return {
            "id": f"/subscriptions/{resource.subscription_id}/resourceGroups/"
            f"{resource.resource_group}/providers/Microsoft.Security/locations/"
            f"{resource.location}/alerts/{alert_id}",
            "name": alert_id,
            "type": "Microsoft.Security/Locations/alerts",
            "properties": properties,
        }

    def _identifier(self, entities: AlertEntities) -> dict[str, Any]:
        """The alert's resource identifier; in a graph alert it takes the first $id."""
        identifier = {"$id": entities.next_id()} if entities.graph else {}
        identifier["azureResourceId"] = entities.ctx["resource_id"]
        identifier["type"] = "AzureResource"
        identifier["azureResourceTenantId"] = self.tenant.tenant_id
        return identifier

    def inventory(self) -> Iterator[DemoResource]:
        """Every resource the alerts so far can touch: shared infra, noise pools, victims."""
        for pool in self.tenant.pools():
            yield from self.tenant.pool(pool)
        for kind, count in sorted(self.victims.items()):
            for index in range(count):
                yield self.tenant.resource(VICTIM_POOLS[kind], index)


_PLACEHOLDER_VALUES = {
    "compromised host": "host",
    "compromisedentity": "host",
    "machine name": "host",
    "vmname": "host",
    "victim ip": "host_ip",
    "machine ip": "host_ip",
    "attacker ip": "attacker_ip",
    "attacker source ip": "attacker_ip",
    "user name": "account",
    "service name": "service",
    "attacked protocol": "service",
}
_FILL_KEYS = tuple(dict.fromkeys(_PLACEHOLDER_VALUES.values()))


def _fill(text: str, ctx: dict[str, Any]) -> str:
    """Replace %{Placeholders} the context knows; Defender leaves the others as they are."""
    if "%{" not in text:
        return text
    return _filled(text, tuple(str(ctx.get(key) or "") for key in _FILL_KEYS))


@lru_cache(maxsize=4096)
def _filled(text: str, values: tuple[str, ...]) -> str:
    known = dict(zip(_FILL_KEYS, values, strict=True))

    def value(match: re.Match[str]) -> str:
        key = _PLACEHOLDER_VALUES.get(match.group(1).lower())
        return (known[key] or match.group()) if key else match.group()

    return _PLACEHOLDER.sub(value, text)


def _extended_properties(
    kind: AlertKind, stage: Stage, ctx: dict[str, Any], resource: DemoResource
) -> dict[str, str]:
    evidence = stage.evidence
    props = {"resourceType": resource.resource_type}
    if ctx.get("os"):
        props["compromised Host"] = ctx["host"]
    if "account" in evidence:
        props["user Name"] = f"{ctx['host']}\\{ctx['account']}"
    elif "svc_account" in evidence:
        props["user Name"] = f"CONTOSO\\{ctx['svc_account']}"
    elif "aad_user" in evidence:
        props["user Name"] = ctx["upn"]
    if "process" in evidence:
        props["suspicious Process"] = ctx["command"].split(" ", 1)[0]
        props["suspicious Command Line"] = ctx["command"]
        props["suspicious Process Id"] = ctx["pid"]
    if "attacker_ip" in evidence:
        props["attacker IP Address"] = ctx["attacker_ip"]
    if "scanner_ips" in evidence:
        props["destination Port"] = str(ctx["scan_port"])
        props["protocol"] = "TCP"
        attempts = zip(ctx["scanner_ips"], ctx["attempts"], strict=True)
        props["source IP(s) [Number of attempts]"] = "\r\n".join(
            f"IP: {ip} [{n}]" for (ip, _geo), n in attempts
        )
    if "domain" in evidence:
        props["domain Name"] = ctx["pool_domain"]
    props["killChainIntent"] = kind.intent
    return props


def _alert_uri(alert_id: str, resource: DemoResource) -> str:
    return (
        "https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/"
        f"AlertBlade/alertId/{alert_id}/subscriptionId/{resource.subscription_id}/resourceGroup/"
        f"{resource.resource_group}/referencedFrom/alertDeepLink/location/{resource.location}"
    )


def iter_alerts(alerts: int = DEFAULT_ALERTS, seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """Demo alert dicts for benchmarks, streamed."""
    for item in DemoGenerator(alerts, seed):
        yield item.alert


def write_demo(
    directory: Path, alerts: int = DEFAULT_ALERTS, seed: int = DEFAULT_SEED
) -> DemoFiles:
    """Write the alerts, the inventory and the ground truth into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(directory / ALERT_FILE, directory / INVENTORY_FILE, directory / TRUTH_FILE)
    generator = DemoGenerator(alerts, seed)
    newline = orjson.OPT_APPEND_NEWLINE
    with (
        files.alerts.open("wb", buffering=1 << 20) as alert_out,
        files.truth.open("wb", buffering=1 << 20) as truth_out,
    ):
        for item in generator:
            alert_out.write(orjson.dumps(item.alert, option=newline))
            truth_out.write(
                orjson.dumps({"id": item.alert["id"], "scenario": item.scenario}, option=newline)
            )
    _write_inventory(files.inventory, generator)
    return files


def _write_inventory(path: Path, generator: DemoGenerator) -> None:
    tenant_id = generator.tenant.tenant_id
    count = 0
    with path.open("wb") as out:
        out.write(b'{"data": [')
        for resource in generator.inventory():
            out.write(
                (b",\n" if count else b"\n") + orjson.dumps(resource.inventory_row(tenant_id))
            )
            count += 1
        out.write(f'\n], "count": {count}, "total_records": {count}}}\n'.encode())
