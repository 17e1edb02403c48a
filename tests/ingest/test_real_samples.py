"""Every real public sample imports, with the values an analyst would check."""

from __future__ import annotations

import json

import pytest

from tui.ingest.pipeline import import_paths
from tui.store import Store

ALERT_FILES = [
    "azure-rest-api-specs-security-alerts/GetAlertsSubscription_example.json",
    "defender-for-cloud-recorded-api-responses/security_alerts_list_excerpt.json",
    "defender-for-cloud-recorded-api-responses/azure-powershell_GetSubscriptionScope_excerpt.json",
    "defender-for-cloud-loganalytics-securityalert/securityalert_sample_row.stix-shifter.json",
    "graph-security-alerts_v2/alert_v2_list.stix-shifter.json",
]
NOT_ALERTS = [
    "azure-rest-api-specs-security-alerts/GetAlertsSuppressionRules_example.json",
    "reference-schemas/MDC_SecurityAlert.schema.json",
]


@pytest.fixture
def imported(store: Store, real_dir) -> Store:
    summary = import_paths(store, [real_dir / name for name in ALERT_FILES])
    assert (summary.new, summary.rejected, summary.refused) == (13, 0, {})
    return store


def _alert(store: Store, where: str, *params) -> dict:
    cur = store.conn.execute(f"SELECT * FROM alerts WHERE {where}", params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


def _entities(store: Store, alert_id: int) -> set[tuple[str, str]]:
    return set(
        store.conn.execute(
            "SELECT e.type, e.key FROM alert_entities ae JOIN entities e ON e.id = ae.entity_id"
            " WHERE ae.alert_id = ?",
            (alert_id,),
        ).fetchall()
    )


def test_formats_are_detected(store: Store, real_dir) -> None:
    summary = import_paths(store, [real_dir / name for name in ALERT_FILES])
    assert list(summary.formats.values()) == [
        "defender", "defender", "defender", "sentinel", "graph",
    ]  # fmt: skip


def test_files_that_hold_no_alerts_are_refused_naming_the_formats(store: Store, real_dir) -> None:
    summary = import_paths(store, [real_dir / name for name in NOT_ALERTS])
    assert len(summary.refused) == 2
    for reason in summary.refused.values():
        assert "no known format" in reason and "Defender for Cloud" in reason and "OCSF" in reason
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_three_unrecommended_ip_alerts_share_host_alertstest(imported: Store) -> None:
    hosts = imported.conn.execute(
        "SELECT e.key, count(*) FROM alerts a JOIN alert_entities ae ON ae.alert_id = a.id"
        " JOIN entities e ON e.id = ae.entity_id"
        " WHERE a.alert_type = 'Network_TrafficFromUnrecommendedIP' AND e.type = 'host'"
        " GROUP BY e.key"
    ).fetchall()
    assert hosts == [("alertstest", 3)]
    shared_ip = imported.conn.execute(
        "SELECT count(*) FROM alert_entities ae JOIN entities e ON e.id = ae.entity_id"
        " WHERE e.type = 'ip' AND e.key = '150.95.29.64'"
    ).fetchone()[0]
    assert shared_ip == 2


def test_json_string_remediation_shows_its_display_value(imported: Store) -> None:
    alert = _alert(imported, "source_id LIKE ?", "%2517333083999999999_91ad5c46%")
    assert json.loads(alert["remediation_steps"]) == ["Enforce rule"]
    assert alert["status"] == "InProgress" and alert["severity"] == "Low"
    assert alert["intent"] == "PreAttack"
    assert alert["start_time_utc"] == "2022-11-21T01:00:00.000000Z"
    assert alert["resource_id"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/taklei/providers"
        "/microsoft.compute/virtualmachines/alertstest"
    )


def test_ref_entities_are_resolved(imported: Store) -> None:
    alert = _alert(imported, "alert_type = 'SIMULATED_VM_DigitalCurrencyMining'")
    entities = _entities(imported, alert["id"])
    # The process names its host only through {"$ref": "centralus_3"}.
    assert ("process", "sample-vm|.\\sample.exe -t 4") in entities
    assert ("account", "s-1-5-21-3061399664-1673012318-3185014992-20022") in entities
    assert ("file", "c:\\temp\\sample.exe") in entities
    assert alert["is_simulated"] == 1
    assert alert["resource_id"].endswith("/virtualmachines/sample-vm")  # lower-cased


def test_spec_alerts_sharing_a_system_alert_id_stay_two(imported: Store) -> None:
    rows = imported.conn.execute(
        "SELECT alert_type, techniques, is_incident, correlation_key FROM alerts"
        " WHERE system_alert_id = '2518298467986649999_4d25bfef-2d77-4a08-adc0-3e35715cc92a'"
        " ORDER BY alert_type"
    ).fetchall()
    assert [r[0] for r in rows] == ["VM_EICAR", "VM_SuspiciousScreenSaver"]
    assert rows[0][1] == "T1059,T1053,T1072,T1059.001,T1059.006,T1053.002"
    assert rows[0][2] == 1 and rows[0][3].startswith("kso0LF")


def test_spec_alert_keeps_evidence_links_and_extended_properties(imported: Store) -> None:
    alert = _alert(imported, "alert_type = 'VM_SuspiciousScreenSaver'")
    assert json.loads(alert["extended_properties"])["parent process"] == "cmd.exe"
    assert json.loads(alert["extended_links"])[0]["Label"] == "Report: RDP Brute Forcing"
    assert json.loads(alert["supporting_evidence"])["type"] == "supportingEvidenceList"
    assert alert["compromised_entity"] == "vm2"
    assert ("host", "vm2") in _entities(imported, alert["id"])


def test_placeholders_never_become_entities(imported: Store) -> None:
    keys = {k for (k,) in imported.conn.execute("SELECT key FROM entities")}
    assert not keys & {"00.00.00.00", "00000000-0000-0000-0000-000000000000", "system"}
    kv_alerts = imported.conn.execute(
        "SELECT id FROM alerts WHERE alert_type LIKE 'SIMULATED_KV_%'"
    ).fetchall()
    shared = [_entities(imported, aid) for (aid,) in kv_alerts]
    assert shared[0] & shared[1] == {
        ("azure-resource", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups"
         "/sample-rg/providers/microsoft.keyvault/vaults/sample-kv")
    }  # fmt: skip


def test_sentinel_row_fields(imported: Store) -> None:
    alert = _alert(imported, "source_format = 'sentinel'")
    assert alert["source_id"] == "e6b0d35f-c7c8-373b-3ff3-5c903c9a2060"
    assert alert["severity"] == "High"  # AlertSeverity "75" on a 0-100 scale
    assert alert["start_time_utc"] == "2023-03-10T04:47:22.632009Z"
    assert alert["time_generated_utc"] == "2023-03-10T04:58:00.613814Z"
    assert alert["intent"] == "Execution" and alert["is_simulated"] == 1
    assert alert["status"] == "Active"  # "New"
    entities = _entities(imported, alert["id"])
    assert ("host", "sample-vm") in entities
    assert ("account", "sample-account@sample") in entities  # SID S-0-0-00 is not a SID


def test_graph_evidence_entities(imported: Store) -> None:
    alert = _alert(imported, "source_format = 'graph'")
    assert alert["source_incident_id"] == "28282"
    assert alert["intent"] == "DefenseEvasion"
    assert alert["techniques"] == "T1564,T1564.001"
    steps = json.loads(alert["remediation_steps"])
    assert steps[0] == "Collect artifacts and determine scope"
    assert steps[1].startswith("Review the machine timeline") and len(steps) == 11
    entities = _entities(imported, alert["id"])
    assert {
        ("host", "tempdns"),
        ("filehash", "8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec"),
        ("file", "c:\\program files\\temp\\mssense.exe"),
        ("process", 'tempdns|"MsSense.exe"'),
        ("registry-key",
         "hkey_local_machine\\system\\controlset001\\control\\wmi\\autologger\\senseauditlogger"),
    } <= entities  # fmt: skip
    assert not any(kind == "account" for kind, _ in entities)  # NT AUTHORITY\SYSTEM


def test_reimport_of_the_samples_adds_nothing(imported: Store, real_dir) -> None:
    again = import_paths(imported, [real_dir / name for name in ALERT_FILES])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 13)
    assert imported.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 13
