from tui.intel.hardening import IncidentFacts, catalog, recommend

VM = "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm-web-01"
VAULT = "/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv-prod"


def _ids(facts: IncidentFacts) -> list[str]:
    return [r.id for r in recommend(facts)]


def test_rdp_brute_force_on_a_vm_recommends_closing_ports_and_mfa() -> None:
    facts = IncidentFacts(
        {VM: "microsoft.compute/virtualmachines"},
        (("VM_RDPBruteForce", "RDP brute force", ("T1110.001",), ("CredentialAccess",)),),
    )
    recs = recommend(facts)
    assert recs[0].id == "TD-H01"  # most reasons: resource, alert type and technique
    assert "technique T1110.001 seen in 'RDP brute force'" in recs[0].why
    assert "TD-H02" in _ids(facts)


def test_resource_specific_advice_needs_its_resource() -> None:
    # T1110 is listed by the database entry, but a VM incident must not get database advice.
    facts = IncidentFacts(
        {VM: "microsoft.compute/virtualmachines"},
        (("VM_RDPBruteForce", "RDP brute force", ("T1110",), ()),),
    )
    assert "TD-H07" not in _ids(facts)
    vault = IncidentFacts({VAULT: "Microsoft.KeyVault/vaults"}, ())
    assert _ids(vault) == ["TD-H03"]


def test_nothing_applies_to_an_unrelated_incident() -> None:
    assert recommend(IncidentFacts({}, (("Custom", "x", ("T9999",), ()),))) == []


def test_catalog_entries_are_complete() -> None:
    for entry in catalog():
        assert entry["id"] and entry["title"] and entry["description"]
        assert entry["resource_types"] or entry["alert_type_prefixes"] or entry["techniques"]
