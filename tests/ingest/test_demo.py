"""Demo data: deterministic, Defender-shaped, scenario-consistent, importable, inventoried."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tui.ingest.demo import DemoFiles, iter_alerts, write_demo
from tui.ingest.demo_context import NAT_EGRESS_IP, SERVICE_ACCOUNT
from tui.ingest.demo_scenarios import NOISE, SCENARIOS
from tui.ingest.inventory import import_inventory
from tui.ingest.pipeline import import_paths
from tui.store.resources import resource_tags

ALERTS = 2500


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoFiles:
    return write_demo(tmp_path_factory.mktemp("demo"), ALERTS, seed=11)


@pytest.fixture(scope="module")
def records(demo: DemoFiles) -> list[tuple[dict, str | None]]:
    alerts = [json.loads(line) for line in demo.alerts.read_text().splitlines()]
    truth = [json.loads(line) for line in demo.truth.read_text().splitlines()]
    assert [t["id"] for t in truth] == [a["id"] for a in alerts]
    return [(a, t["scenario"]) for a, t in zip(alerts, truth, strict=True)]


def _resource_id(alert: dict) -> str:
    return alert["properties"]["resourceIdentifiers"][0]["azureResourceId"].lower()


def _values(alert: dict) -> set[str]:
    """Every entity value of an alert, following $ref and inline nesting alike."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("address", "hostName", "name", "url", "commandLine", "value", "sid"):
                    found.add(str(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(alert["properties"]["entities"])
    return found


def test_same_seed_same_files_other_seed_other_data(tmp_path: Path, demo: DemoFiles) -> None:
    again = write_demo(tmp_path / "again", ALERTS, seed=11)
    for first, second in zip(
        (demo.alerts, demo.inventory, demo.truth),
        (again.alerts, again.inventory, again.truth),
        strict=True,
    ):
        assert first.read_bytes() == second.read_bytes()
    other = write_demo(tmp_path / "other", ALERTS, seed=12)
    assert other.alerts.read_bytes() != demo.alerts.read_bytes()


@pytest.mark.parametrize("size", [1, 7, 333])
def test_alert_count_is_honoured(tmp_path: Path, size: int) -> None:
    files = write_demo(tmp_path, size, seed=1)
    assert len(files.alerts.read_text().splitlines()) == size
    assert len(files.truth.read_text().splitlines()) == size
    assert sum(1 for _ in iter_alerts(size, seed=1)) == size


def test_alerts_have_the_defender_rest_shape(records, real_dir: Path) -> None:
    sample = (
        real_dir / "defender-for-cloud-recorded-api-responses/security_alerts_list_excerpt.json"
    )
    real = json.loads(sample.read_text())["value"][0]
    spec = real_dir / "azure-rest-api-specs-security-alerts/GetAlertsSubscription_example.json"
    spec_alert = json.loads(spec.read_text())["responses"]["200"]["body"]["value"][0]
    known = set(real["properties"]) | set(spec_alert["properties"])
    for alert, _ in records:
        assert set(alert) == set(real)
        assert alert["type"] == "Microsoft.Security/Locations/alerts"
        assert alert["id"].endswith(f"/alerts/{alert['name']}")
        properties = alert["properties"]
        assert set(properties) <= known, set(properties) - known
        assert properties["systemAlertId"] == alert["name"]
        assert properties["severity"] in ("Informational", "Low", "Medium", "High")
        assert properties["startTimeUtc"] <= properties["endTimeUtc"]
        assert properties["endTimeUtc"] < properties["timeGeneratedUtc"]
    entities = [e for alert, _ in records for e in alert["properties"]["entities"]]
    assert any("$id" in e for e in entities) and any("$id" not in e for e in entities)
    assert any('"$ref"' in json.dumps(e) for e in entities)
    steps = [s for alert, _ in records for s in alert["properties"]["remediationSteps"]]
    assert any("%{Compromised Host}" in s for s in steps)
    assert any(s.startswith('{"kind":"openBlade"') for s in steps)
    assert any("correlationKey" in alert["properties"] for alert, _ in records)


def test_every_scenario_and_noise_family_appears(records) -> None:
    templates = {name.rsplit("-", 1)[0] for _, name in records if name}
    assert templates == {s.name for s in SCENARIOS}
    noise_types = {a["properties"]["alertType"] for a, name in records if name is None}
    assert noise_types == {n.stage.key for n in NOISE}


def test_each_attack_stays_on_its_resource_and_shares_its_evidence(records) -> None:
    instances: dict[str, list[dict]] = defaultdict(list)
    for alert, name in records:
        if name:
            instances[name].append(alert)
    assert len(instances) > 50
    victims = {}
    for name, alerts in instances.items():
        resources = {_resource_id(a) for a in alerts}
        assert len(resources) == 1, name  # one victim resource per attack
        victims[name] = resources.pop()
        if len(alerts) > 1:
            for alert in alerts:
                others = set().union(*(_values(o) for o in alerts if o is not alert))
                assert _values(alert) & others, (name, alert["properties"]["alertType"])
    assert len(set(victims.values())) == len(victims)  # distinct resources per attack
    noise_resources = {_resource_id(a) for a, name in records if name is None}
    assert noise_resources & set(victims.values())  # scanners hit attacked VMs too


def test_shared_infrastructure_crosses_unrelated_attacks_and_noise(records) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for alert, name in records:
        template = name.rsplit("-", 1)[0] if name else "noise"
        for value in _values(alert):
            seen[value].add(template)
    assert len(seen["dc01"]) >= 3 and "noise" in seen["dc01"]
    assert len(seen[NAT_EGRESS_IP]) >= 3 and "noise" in seen[NAT_EGRESS_IP]
    assert len(seen["SYSTEM"]) >= 3
    assert "noise" in seen[SERVICE_ACCOUNT] and len(seen[SERVICE_ACCOUNT]) >= 3


def test_noise_repeats_with_only_random_parts_changing(records) -> None:
    backup = [
        a["properties"]["extendedProperties"]["suspicious Command Line"]
        for a, name in records
        if name is None and a["properties"]["alertType"] == "VM_TaskkillBurst"
    ]
    assert len(backup) > 20 and len(set(backup)) > 20
    shapes = {line.rsplit("vbk-", 1)[0] for line in backup}
    assert shapes == {'taskkill.exe /F /IM sqlwriter.exe /T /FI "WINDOWTITLE eq '}


def test_every_record_imports_without_quarantine(store, demo: DemoFiles) -> None:
    summary = import_paths(store, [demo.alerts], fmt="defender")

    assert (summary.new, summary.rejected) == (ALERTS, 0)
    assert store.conn.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    kinds = {row[0] for row in store.conn.execute("SELECT DISTINCT type FROM entities")}
    assert {"host", "ip", "account", "process", "filehash", "url", "azure-resource"} <= kinds


def test_inventory_covers_every_alert_resource(store, demo: DemoFiles, records) -> None:
    inventory = json.loads(demo.inventory.read_text())
    ids = {row["id"].lower() for row in inventory["data"]}
    assert inventory["count"] == len(inventory["data"]) == len(ids)
    assert {_resource_id(a) for a, _ in records} <= ids
    for row in inventory["data"]:
        assert set(row["tags"]) == {"environment", "owner", "costCenter", "application"}

    result = import_inventory(store, demo.inventory)
    import_paths(store, [demo.alerts], fmt="defender")

    assert result.rejected == [] and result.counts.new == len(ids)
    alert_resources = [r for (r,) in store.conn.execute("SELECT DISTINCT resource_id FROM alerts")]
    assert set(resource_tags(store.conn, alert_resources)) == set(alert_resources)


def test_attacker_text_includes_markup_like_and_bidi_strings(records) -> None:
    commands = {v for alert, name in records if name for v in _values(alert)}
    assert any("[Net.ServicePointManager]::" in v for v in commands)
    assert any("\u202e" in v for v in commands)  # imported all the same (test above)
