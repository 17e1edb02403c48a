"""A small, realistic incident for tests of the incident screen and its data."""

from __future__ import annotations

from tests.factories import entity, make_alert
from tui.engine import correlation
from tui.model import Intent, Severity
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts
from tui.store.incidents import incident_of_alert
from tui.store.resources import Resource, upsert_resources

VM = "/subscriptions/s1/resourcegroups/rg-web/providers/microsoft.compute/virtualmachines/vm-web-01"
STEP = "Isolate %{Compromised Host} and reset the password of %{User Name}."


def seed_incident(store: Store) -> int:
    """Three alerts on one VM that correlate into one incident, with inventory tags."""
    host, user = entity("host", "vm-web-01"), entity("account", "alice@contoso.com")
    alerts = [
        make_alert(
            title="RDP brute force",
            alert_type="VM_RDPBruteForce",
            minutes=0,
            intent=(Intent.PRE_ATTACK,),
            entities=[host],
            resource_id=VM,
            techniques=("T1110",),
            remediation_steps=["Block the attacking IP.", STEP],
        ),
        make_alert(
            title="Successful logon after brute force",
            alert_type="VM_LoginBruteForceSuccess",
            minutes=30,
            severity=Severity.HIGH,
            intent=(Intent.INITIAL_ACCESS,),
            entities=[host, user],
            resource_id=VM,
            techniques=("T1078",),
            remediation_steps=[STEP, "  block the attacking   IP. "],
            extended_properties={"User Name": "alice@contoso.com"},
        ),
        make_alert(
            title="Credential dumping",
            alert_type="VM_CredentialDumping",
            minutes=90,
            severity=Severity.HIGH,
            intent=(Intent.CREDENTIAL_ACCESS,),
            entities=[host, user],
            resource_id=VM,
            techniques=("T1003.001",),
        ),
    ]
    ids = upsert_alerts(store.conn, alerts).new_ids
    with transaction(store.conn) as conn:
        upsert_resources(
            conn,
            [
                Resource(
                    VM,
                    "vm-web-01",
                    "Microsoft.Compute/virtualMachines",
                    tags={"environment": "prod", "owner": "web-team"},
                )
            ],
        )
    correlation.correlate_new(store, ids)
    found = incident_of_alert(store.conn, ids[0])
    assert found is not None and incident_of_alert(store.conn, ids[2]) == found
    return found
