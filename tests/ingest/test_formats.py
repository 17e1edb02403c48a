"""Each adapter on records shaped like its product's native export; format detection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tui.ingest import detect, graph, ocsf, sentinel
from tui.ingest.errors import RecordError
from tui.ingest.pipeline import import_paths
from tui.model import EntityType, Intent, Severity, Status
from tui.store import Store

DATA = Path(__file__).parent / "data"

# A native SecurityAlert row: Entities, ExtendedProperties, RemediationSteps and Techniques are
# JSON strings, Tactics comma-separated, times in Log Analytics' text form.
NATIVE_ROW = {
    "TimeGenerated": "2024-06-20 08:51:02.123456+00:00",
    "DisplayName": "Suspicious PowerShell command line",
    "AlertName": "Suspicious PowerShell command line",
    "AlertSeverity": "Medium",
    "Description": "A PowerShell command with an encoded payload ran.",
    "ProviderName": "MDATP",
    "VendorName": "Microsoft",
    "VendorOriginalId": "da638545698620118270_1134118230",
    "SystemAlertId": "1f4a1b2c-3d4e-4f50-9a8b-7c6d5e4f3a2b",
    "ResourceId": "",
    "AlertType": "WindowsDefenderAtp",
    "IsIncident": "False",
    "StartTime": "2024-06-20 08:45:10.5+02:00",
    "EndTime": "2024-06-20 08:46:00+02:00",
    "ProcessingEndTime": "2024-06-20 08:51:01.999999+00:00",
    "RemediationSteps": json.dumps(
        ["1. Isolate the device.", '{"kind":"openBlade","displayValue":"Open device page"}']
    ),
    "ExtendedProperties": json.dumps({"IncidentId": "41207", "MitreTechniques": "T1059.001"}),
    "Entities": json.dumps(
        [
            {"$id": "2", "HostName": "ws-042", "DnsDomain": "corp.contoso.com", "Type": "host"},
            {"$id": "3", "Name": "bob", "UPNSuffix": "contoso.com", "Type": "account"},
            {
                "$id": "4",
                "CommandLine": "powershell.exe -enc SQBFAFgA",
                "Host": {"$ref": "2"},
                "Account": {"$ref": "3"},
                "Type": "process",
            },
            {"$id": "5", "Address": "203.0.113.9", "Type": "ip"},
            {"$id": "6", "Url": "https://evil.example/payload.ps1", "Type": "url"},
            {"$id": "7", "DomainName": "evil.example.", "Type": "dns"},
            {"$id": "8", "Value": "0" * 64, "Algorithm": "SHA256", "Type": "filehash"},
        ]
    ),
    "Status": "InProgress",
    "CompromisedEntity": "ws-042",
    "Tactics": "Execution, DefenseEvasion",
    "Techniques": '["T1059", "T1027"]',
    "SubTechniques": '["T1059.001"]',
    "Type": "SecurityAlert",
}


def test_sentinel_native_row() -> None:
    alert = sentinel.normalize(NATIVE_ROW, json.dumps(NATIVE_ROW))
    assert alert.source_id == "1f4a1b2c-3d4e-4f50-9a8b-7c6d5e4f3a2b"
    assert alert.start_time_utc == "2024-06-20T06:45:10.500000Z"  # +02:00 converted
    assert alert.severity is Severity.MEDIUM and alert.status is Status.IN_PROGRESS
    assert alert.intent == (Intent.DEFENSE_EVASION, Intent.EXECUTION)  # kill-chain order
    assert alert.remediation_steps == ["1. Isolate the device.", "Open device page"]
    assert alert.source_incident_id == "41207"
    assert (alert.techniques, alert.sub_techniques) == (("T1059", "T1027"), ("T1059.001",))
    keys = {(e.type, e.key) for e in alert.entities}
    assert keys == {
        (EntityType.HOST, "ws-042.corp.contoso.com"),
        (EntityType.ACCOUNT, "bob@contoso.com"),
        (EntityType.PROCESS, "ws-042.corp.contoso.com|powershell.exe -enc SQBFAFgA"),
        (EntityType.IP, "203.0.113.9"),
        (EntityType.URL, "https://evil.example/payload.ps1"),
        (EntityType.DNS, "evil.example"),
    }  # the all-zero hash is a placeholder


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("AlertSeverity", "apocalyptic", "AlertSeverity 'apocalyptic' is not a known severity"),
        ("AlertSeverity", "150", "AlertSeverity 150 is outside 0-100"),
        ("StartTime", "yesterday", "StartTime 'yesterday' is not an ISO 8601 time"),
        ("Entities", "[{", "Entities is not valid JSON"),
        ("SystemAlertId", None, "missing SystemAlertId"),
    ],
)
def test_sentinel_field_errors(field: str, value: object, reason: str) -> None:
    row = NATIVE_ROW | {field: value}
    with pytest.raises(RecordError, match=reason.replace("(", r"\(")):
        sentinel.normalize(row, "")


def test_sentinel_csv_export_imports(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "securityalert.csv"
    portal = NATIVE_ROW | {"StartTime [UTC]": "6/20/2024, 6:45:10.500 AM"}
    del portal["StartTime"]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(portal))
        writer.writeheader()
        writer.writerow(portal)
        writer.writerow(portal | {"SystemAlertId": "second", "AlertSeverity": "loud"})
    summary = import_paths(store, [path])
    assert summary.formats == {str(path): "sentinel"}
    assert (summary.new, summary.rejected) == (1, 1)
    reason, record_no = store.conn.execute("SELECT reason, record_no FROM quarantine").fetchone()
    assert reason == "AlertSeverity 'loud' is not a known severity" and record_no == 3
    start = store.conn.execute("SELECT start_time_utc FROM alerts").fetchone()[0]
    assert start == "2024-06-20T06:45:10.500000Z"


def test_graph_recommended_actions_become_steps() -> None:
    text = "Contain the device\n\u2022\tReset passwords \n- Block the URL\n\n\ufffd\tScan again"
    assert graph.steps(text) == [
        "Contain the device",
        "Reset passwords",
        "Block the URL",
        "Scan again",
    ]


def test_graph_mail_and_ip_evidence() -> None:
    record = {
        "id": "fa1",
        "title": "Phish delivered",
        "severity": "high",
        "status": "inProgress",
        "category": "InitialAccess",
        "createdDateTime": "2024-06-01T10:00:00Z",
        "evidence": [
            {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "198.51.100.7"},
            {
                "@odata.type": "#microsoft.graph.security.mailboxEvidence",
                "primaryAddress": "Carol@Contoso.com",
                "userAccount": {"accountName": "carol", "userPrincipalName": "carol@contoso.com"},
            },
            {"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "http://x.example/a"},
        ],
    }
    alert = graph.normalize(record, json.dumps(record))
    assert alert.status is Status.IN_PROGRESS and alert.intent == (Intent.INITIAL_ACCESS,)
    assert alert.start_time_utc == "2024-06-01T10:00:00.000000Z"
    assert {(e.type, e.key) for e in alert.entities} == {
        (EntityType.IP, "198.51.100.7"),
        (EntityType.MAILBOX, "carol@contoso.com"),
        (EntityType.ACCOUNT, "carol@contoso.com"),
        (EntityType.URL, "http://x.example/a"),
    }


def test_ocsf_detection_findings(store: Store) -> None:
    path = DATA / "ocsf_detection_findings.jsonl"
    summary = import_paths(store, [path])
    assert summary.formats == {str(path): "ocsf"} and summary.new == 2
    lines = path.read_text().splitlines()
    first = ocsf.normalize(json.loads(lines[0]), lines[0])
    assert first.source_id == "edr-2024-000042" and first.alert_type == "EDR-CA-0007"
    assert first.severity is Severity.HIGH and first.intent == (Intent.CREDENTIAL_ACCESS,)
    assert first.start_time_utc == "2024-06-20T08:50:00.000000Z"
    assert (first.techniques, first.sub_techniques) == (("T1003",), ("T1003.001",))
    assert first.correlation_key == "corr-lsass-42" and first.compromised_entity
    keys = {(e.type, e.key) for e in first.entities}
    host = "ws-fin-017.corp.contoso.com"
    dump = "C:\\Users\\alice\\AppData\\Local\\Temp\\pd.exe -accepteula -ma lsass.exe out.dmp"
    assert {
        (EntityType.HOST, host),
        (EntityType.IP, "10.20.30.17"),
        (EntityType.IP, "203.0.113.66"),
        (EntityType.PROCESS, f"{host}|{dump}"),
        (EntityType.ACCOUNT, "s-1-5-21-1004336348-1177238915-682003330-1104"),
        (EntityType.FILE_HASH, "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"),
        (EntityType.AZURE_RESOURCE, "/subscriptions/1111aaaa-2222-bbbb-3333-cccc4444dddd"
         "/resourcegroups/rg-fin/providers/microsoft.compute/virtualmachines/ws-fin-017"),
    } <= keys  # fmt: skip
    assert (EntityType.ACCOUNT, "system") not in keys
    second = ocsf.normalize(json.loads(lines[1]), lines[1])
    assert second.start_time_utc == "2024-06-20T07:50:00.250000Z"  # *_dt with +02:00
    assert second.status is Status.RESOLVED and second.severity is Severity.LOW
    assert second.alert_type == "Discovery"


def test_ocsf_refuses_other_classes() -> None:
    with pytest.raises(RecordError, match="class_uid must be 2004"):
        ocsf.normalize({"class_uid": 2001, "finding_info": {"uid": "x"}}, "")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"type": "Microsoft.Security/Locations/alerts", "properties": {}}, "defender"),
        ({"Type": "SecurityAlert"}, "sentinel"),
        ({"@odata.type": "#microsoft.graph.security.alert"}, "graph"),
        ({"class_uid": 2004}, "ocsf"),
        ({"type": "Microsoft.Security/alertsSuppressionRules", "properties": {}}, None),
    ],
)
def test_record_format(record: dict, expected: str | None) -> None:
    assert detect.record_format(record) == expected


def test_explicit_format_overrides_detection(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "graph.jsonl"
    path.write_text(json.dumps({"id": "g1", "title": "t", "severity": "low",
                                "createdDateTime": "2024-01-01T00:00:00Z"}) + "\n")  # fmt: skip
    assert import_paths(store, [path]).refused  # no @odata.type: not recognisable
    summary = import_paths(store, [path], fmt="graph")
    assert summary.new == 1 and not summary.refused


def test_minified_list_response_and_single_alert_import(store: Store, tmp_path: Path) -> None:
    from tests.ingest.test_bad_input import defender_record

    listed = tmp_path / "list.json"
    listed.write_text(json.dumps({"value": [defender_record(1), defender_record(2)]}))
    single = tmp_path / "one.json"
    single.write_text(json.dumps(defender_record(3), indent=2))
    summary = import_paths(store, [listed, single])
    assert (summary.new, summary.rejected, summary.refused) == (3, 0, {})


def test_unreadable_paths_are_refused_and_the_rest_imports(store: Store, tmp_path: Path) -> None:
    good = DATA / "ocsf_detection_findings.jsonl"
    summary = import_paths(store, [tmp_path / "missing.json", tmp_path, good])
    assert summary.new == 2
    assert [r.split(": ", 1)[1] for r in summary.refused.values()] == [
        "cannot read (No such file or directory)",
        "cannot read (Is a directory)",
    ]


def test_a_file_of_broken_records_says_why(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b'{"a": NaN}\n{"b": \n')
    [reason] = import_paths(store, [path]).refused.values()
    assert "no readable JSON object in the first records (NaN or Infinity" in reason


def test_defender_2019_property_names() -> None:
    """api-version 2019-01-01 alerts (alertName, reportedSeverity, detectedTimeUtc, state)."""
    from tui.ingest import defender

    record = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/locations/"
        "centralus/alerts/2518_abc",
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {
            "state": "Dismissed",
            "reportedTimeUtc": "2019-03-01T10:00:00Z",
            "alertName": "SSH_BruteForce",
            "alertDisplayName": "Failed SSH brute force attack",
            "detectedTimeUtc": "2019-03-01T09:58:10.5Z",
            "remediationSteps": "Block the source IP address.",
            "reportedSeverity": "Medium",
            "associatedResource": "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/"
            "MICROSOFT.COMPUTE/VIRTUALMACHINES/LINUX1",
            "entities": [{"type": "host", "hostName": "linux1"}],
        },
    }
    assert detect.record_format(record) == "defender"
    alert = defender.normalize(record, json.dumps(record))
    assert (alert.alert_type, alert.severity, alert.status) == (
        "SSH_BruteForce", Severity.MEDIUM, Status.DISMISSED,
    )  # fmt: skip
    assert alert.start_time_utc == "2019-03-01T09:58:10.500000Z"
    assert alert.time_generated_utc == "2019-03-01T10:00:00.000000Z"
    assert alert.remediation_steps == ["Block the source IP address."]
    assert alert.resource_id.endswith("/virtualmachines/linux1")
