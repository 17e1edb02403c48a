"""A demo-like incident for report tests: an APT29-style intrusion on a finance VM.

Its techniques and tools (SUNBURST, TEARDROP, Mimikatz) belong to APT29 in the ATT&CK
knowledge base, so attribution has something real to find. Plus a noise alert that stays alone,
a hostile alert, and `tiny_report` for renderer tests that need no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.factories import entity, make_alert
from tui.engine import correlation
from tui.intel import kb
from tui.model import Intent, Severity
from tui.report.model import Report, ReportType, Section, Subject, Tlp
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts
from tui.store.incidents import incident_of_alert
from tui.store.resources import Resource, upsert_resources

VM = (
    "/subscriptions/0000-1111/resourcegroups/rg-finance/providers/"
    "microsoft.compute/virtualmachines/vm-fin-01"
)
VAULT = (
    "/subscriptions/0000-1111/resourcegroups/rg-finance/providers/microsoft.keyvault/vaults/kv-fin"
)
C2_URL = "https://cdn.update-orion.com/api/v2/check.php"
C2_IP = "185.220.101.47"
SHA256 = "32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77"
HOSTILE_TITLE = (
    "[bold red]FAKE[/] \x1b[31mRED\x1b]52;c;aGk=\x07 ок 中文 مرحبا 😀 "
    '[x](file:///etc/passwd) <a href="javascript:alert(1)">x</a> <img src="/etc/passwd"> '
    "**x** --y-- " + "Z" * 20_000
)


FIXED_NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def tiny_report(title: str, *sections: Section) -> Report:
    subject = Subject("alert", 1, title, "High", "Active", "2024-06-01", "2024-06-01", 1)
    return Report(
        ReportType.SUMMARY,
        title,
        Tlp.RED,
        FIXED_NOW,
        "mallory",
        subject,
        "kb",
        sections=list(sections),
    )


@dataclass
class Scenario:
    incident_id: int
    alert_ids: list[int]
    noise_alert_id: int
    hostile_alert_id: int


def _alerts() -> list:
    host = entity("host", "vm-fin-01")
    account = entity("account", "svc-backup@contoso.com")
    return [
        make_alert(
            title="Suspicious PowerShell command line",
            alert_type="VM_SuspiciousPowerShellCommand",
            severity=Severity.HIGH,
            minutes=0,
            intent=(Intent.EXECUTION,),
            resource_id=VM,
            compromised_entity="vm-fin-01",
            techniques=("T1059",),
            sub_techniques=("T1059.001",),
            description="Encoded PowerShell launched the SUNBURST backdoor loader.",
            remediation_steps=["Isolate vm-fin-01 from the network.", "Reset svc-backup."],
            entities=[host, account, entity("ip", C2_IP), entity("ip", "10.0.4.17")],
        ),
        make_alert(
            title="TEARDROP dropper written to disk",
            alert_type="VM_MalwareDropper",
            severity=Severity.HIGH,
            minutes=20,
            intent=(Intent.DEFENSE_EVASION, Intent.PERSISTENCE),
            resource_id=VM,
            compromised_entity="vm-fin-01",
            techniques=("T1027", "T1543"),
            sub_techniques=("T1543.003",),
            description="TEARDROP memory-only dropper installed as a service.",
            remediation_steps=["Isolate vm-fin-01 from the network.", "Remove the service."],
            entities=[host, entity("filehash", SHA256, algorithm="SHA256")],
        ),
        make_alert(
            title="Credential dumping with Mimikatz",
            alert_type="VM_CredentialDumping",
            severity=Severity.HIGH,
            minutes=45,
            intent=(Intent.CREDENTIAL_ACCESS,),
            resource_id=VM,
            compromised_entity="vm-fin-01",
            techniques=("T1003",),
            sub_techniques=("T1003.001",),
            description="mimikatz.exe read LSASS memory.",
            remediation_steps=["Rotate every credential used on %{Compromised Host}."],
            entities=[host, account],
        ),
        make_alert(
            title="Secrets read from Key Vault by an unusual application",
            alert_type="KV_UnusualAccess",
            severity=Severity.MEDIUM,
            minutes=90,
            intent=(Intent.COLLECTION, Intent.COMMAND_AND_CONTROL),
            resource_id=VAULT,
            compromised_entity="kv-fin",
            techniques=("T1552", "T1071"),
            sub_techniques=("T1071.001",),
            description="Secrets listed, then data sent to a web C2 over HTTPS.",
            entities=[account, entity("url", C2_URL), entity("dns", "cdn.update-orion.com")],
        ),
    ]


def build(store: Store) -> Scenario:
    """Load the knowledge base, the inventory, the incident and two lone alerts."""
    kb.update(store)
    with transaction(store.conn) as conn:
        upsert_resources(
            conn,
            [
                Resource(
                    VM,
                    "vm-fin-01",
                    "microsoft.compute/virtualmachines",
                    "westeurope",
                    "rg-finance",
                    "0000-1111",
                    {"environment": "prod", "owner": "finance"},
                ),
                Resource(
                    VAULT,
                    "kv-fin",
                    "microsoft.keyvault/vaults",
                    "westeurope",
                    "rg-finance",
                    "0000-1111",
                    {"environment": "prod"},
                ),
            ],
        )
    incident_alerts = _alerts()
    noise = make_alert(
        title="Traffic from an unrecommended IP",
        severity=Severity.LOW,
        minutes=300,
        intent=(Intent.PROBING,),
    )
    hostile = make_alert(
        title=HOSTILE_TITLE,
        minutes=400,
        description=HOSTILE_TITLE,
        entities=[entity("url", "https://evil.example.net/[x](file:///etc/passwd)")],
    )
    ids = upsert_alerts(store.conn, [*incident_alerts, noise, hostile]).new_ids
    alert_ids, noise_id, hostile_id = ids[:-2], ids[-2], ids[-1]
    correlation.correlate_new(store, alert_ids)  # the real engine makes the incident
    incident_id = incident_of_alert(store.conn, alert_ids[0])
    assert incident_id is not None
    assert {incident_of_alert(store.conn, a) for a in alert_ids} == {incident_id}
    return Scenario(incident_id, alert_ids, noise_id, hostile_id)
