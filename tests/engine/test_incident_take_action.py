"""The incident screen's data: detail, Mitigate the threat, Prevent future attacks, pivots."""

import pytest

from tests.factories import entity, make_alert
from tests.scenarios import VM, seed_incident
from tui.engine import triage
from tui.engine.remediation import fill_placeholders, mitigation_plan
from tui.intel.prevention import prevention, resource_type
from tui.store import Store
from tui.store.alerts import upsert_alerts
from tui.store.incident_detail import entity_pivot, incident_detail, remediation_inputs


@pytest.fixture
def incident(store: Store) -> int:
    return seed_incident(store)


def test_detail_has_resources_with_tags_alerts_and_techniques(store, incident) -> None:
    detail = incident_detail(store.conn, incident)
    assert [a["alert_display_name"] for a in detail.alerts] == [
        "RDP brute force",
        "Successful logon after brute force",
        "Credential dumping",
    ]
    assert detail.resources[0]["tags"] == {"environment": "prod", "owner": "web-team"}
    assert detail.techniques == ["T1003.001", "T1078", "T1110"]
    assert detail.entities[0]["display"] == "vm-web-01"  # the most shared entity first


def test_activity_lists_changes_to_the_incident_and_its_alerts(store, incident) -> None:
    detail = incident_detail(store.conn, incident)
    triage.assign(store, ("alert", detail.alerts[0]["id"]), "bob", expected_version=1, actor="bob")
    triage.add_comment(store, ("incident", incident), "looking", actor="carol")
    activity = incident_detail(store.conn, incident).activity
    assert [(a["actor"], a["action"]) for a in activity[:2]] == [
        ("carol", "comment"),
        ("bob", "assign"),
    ]


def test_mitigation_plan_merges_dedupes_and_fills_placeholders(store, incident) -> None:
    plan = mitigation_plan(remediation_inputs(store.conn, incident))
    assert [p.resource for p in plan] == ["vm-web-01"]
    texts = [s.text for s in plan[0].steps]
    assert texts == [
        "Block the attacking IP.",
        "Isolate vm-web-01 and reset the password of %{User Name}.",
        "Isolate vm-web-01 and reset the password of alice@contoso.com.",
    ]
    assert len(plan[0].steps[0].alert_ids) == 2  # the same step from two alerts, shown once


def test_placeholders_never_evaluate_anything() -> None:
    alert = {"extended_properties": {"x": "%{y}"}, "entities": [], "compromised_entity": ""}
    assert fill_placeholders("%{x} %{Unknown}", alert) == "%{y} %{Unknown}"


def test_prevention_has_attack_mitigations_and_hardening(store, incident) -> None:
    found = prevention(store, incident_detail(store.conn, incident))
    ids = {m.id for m in found.mitigations}
    assert "M1032" in ids  # Multi-factor Authentication mitigates T1110
    assert "M1043" in ids  # Credential Access Protection mitigates T1003.001
    hardening = [r.id for r in found.hardening]
    # Closing management ports and MFA answer a brute force that succeeded: they lead.
    assert set(hardening[:2]) == {"TD-H01", "TD-H02"}
    assert "TD-H08" in hardening  # credential dumping -> LSA protection


def test_resource_type_from_an_azure_id() -> None:
    assert resource_type({"id": VM}) == "microsoft.compute/virtualmachines"


def test_entity_pivot_lists_every_alert_and_incident_sharing_it(store, incident) -> None:
    other = upsert_alerts(
        store.conn,
        [
            make_alert(
                title="Later scan", minutes=60 * 24 * 40, entities=[entity("host", "vm-web-01")]
            )
        ],
    ).new_ids[0]
    host = incident_detail(store.conn, incident).entities[0]
    pivot = entity_pivot(store.conn, host["id"])
    assert pivot["alert_total"] == 4
    assert pivot["alerts"][0]["id"] == other
    assert [i["id"] for i in pivot["incidents"]] == [incident]
