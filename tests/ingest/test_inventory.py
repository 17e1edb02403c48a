"""Resource inventory import: JSON and CSV exports, bad rows, tags joined to alerts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import make_alert
from tui.cli import main
from tui.ingest.inventory import InventoryError, import_inventory, load_inventory
from tui.store.alerts import upsert_alerts
from tui.store.audit import history
from tui.store.resources import get_resource, resource_tags

VM_ID = (
    "/subscriptions/1111aaaa-0000-4000-8000-000000000001/resourceGroups/RG-Payments/providers/"
    "Microsoft.Compute/virtualMachines/VM-Pay-01"
)
KV_ID = (
    "/subscriptions/1111aaaa-0000-4000-8000-000000000001/resourceGroups/rg-sec/providers/"
    "Microsoft.KeyVault/vaults/kv-prod"
)


def _resource(rid: str, **fields: object) -> dict:
    return {
        "id": rid,
        "name": rid.rsplit("/", 1)[-1],
        "type": "microsoft.compute/virtualmachines",
        "location": "westeurope",
        "resourceGroup": "RG-Payments",
        "subscriptionId": "1111aaaa-0000-4000-8000-000000000001",
        "tags": {"environment": "prod", "owner": "payments@contoso.com"},
        **fields,
    }


@pytest.mark.parametrize("wrap", [list, lambda rows: {"data": rows}, lambda rows: {"value": rows}])
def test_json_shapes_import_and_key_by_lower_cased_id(store, tmp_path: Path, wrap) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(wrap([_resource(VM_ID), _resource(KV_ID, tags=None)])))

    result = import_inventory(store, path)

    assert (result.counts.new, result.rejected) == (2, [])
    vm = get_resource(store.conn, VM_ID.upper())
    assert vm is not None and vm.id == VM_ID.lower()
    assert vm.name == "VM-Pay-01" and vm.resource_group == "RG-Payments"
    assert vm.tags == {"environment": "prod", "owner": "payments@contoso.com"}
    assert get_resource(store.conn, KV_ID).tags == {}


def test_csv_with_tags_as_json_text(store, tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(
        "\ufeffid,name,type,location,resourceGroup,subscriptionId,tags\n"
        f"{VM_ID},VM-Pay-01,microsoft.compute/virtualmachines,westeurope,RG-Payments,s1,"
        '"{""costCenter"": ""CC-4410"", ""application"": ""payments""}"\n'
        f"{KV_ID},,,westeurope,,,\n",
        encoding="utf-8",
    )

    result = import_inventory(store, path)

    assert result.counts.new == 2 and not result.rejected
    tags = get_resource(store.conn, VM_ID).tags
    assert tags == {"costCenter": "CC-4410", "application": "payments"}
    vault = get_resource(store.conn, KV_ID)
    # empty cells are filled from the id itself
    assert (vault.name, vault.type, vault.resource_group, vault.subscription_id) == (
        "kv-prod",
        "Microsoft.KeyVault/vaults",
        "rg-sec",
        "1111aaaa-0000-4000-8000-000000000001",
    )


def test_bad_rows_are_rejected_with_row_number_and_reason(store, tmp_path: Path) -> None:
    rows = [
        _resource(VM_ID),
        "not an object",
        _resource("vm-without-path"),
        _resource(KV_ID, tags="{broken"),
        _resource(KV_ID, name=42),
        _resource(KV_ID, tags={"owner": {"nested": 1}}),
        _resource(VM_ID.upper()),
        {"name": "no id"},
        _resource(KV_ID),
    ]
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(rows))

    result = import_inventory(store, path)

    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons == {
        2: "expected an object, got str",
        3: "id 'vm-without-path' is not an Azure resource id",
        4: "tags is not valid JSON",
        5: "name must be text, got int",
        6: "tag 'owner' must be text",
        7: "duplicate of row 1",
        8: "no resource id",
    }
    assert result.counts.new == 2
    assert history(store.conn, "file", str(path))[0]["after"]["rejected"] == 7


def test_lone_surrogate_and_oversized_field_rejected(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    long_location = "w" * 5000
    path.write_text(
        f'[{{"id": "{VM_ID}", "name": "x\\ud800"}},'
        f' {{"id": "{KV_ID}", "location": "{long_location}"}}]'
    )
    resources, rejected = load_inventory(path)
    assert resources == []
    assert [r.reason for r in rejected] == [
        "name contains an invalid Unicode surrogate",
        "location is 5,000 characters long (limit 4,096)",
    ]


def test_reimport_updates_changed_tags_and_keeps_the_rest(store, tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps([_resource(VM_ID), _resource(KV_ID)]))
    import_inventory(store, path)
    path.write_text(json.dumps([_resource(VM_ID, tags={"environment": "dev"}), _resource(KV_ID)]))

    result = import_inventory(store, path)

    assert (result.counts.new, result.counts.updated, result.counts.unchanged) == (0, 1, 1)
    assert get_resource(store.conn, VM_ID).tags == {"environment": "dev"}


def test_tags_join_an_alerts_resource_id(store, tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps([_resource(VM_ID)]))
    import_inventory(store, path)
    upsert_alerts(store.conn, [make_alert(resource_id=VM_ID)])

    (alert_resource,) = store.conn.execute("SELECT resource_id FROM alerts").fetchone()
    tags = resource_tags(store.conn, [alert_resource, "/subscriptions/x/unknown"])

    assert tags == {VM_ID.lower(): {"environment": "prod", "owner": "payments@contoso.com"}}


def test_file_in_no_inventory_format_is_refused(store, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(InventoryError, match="header names at least an id column"):
        import_inventory(store, path)
    path.write_text('{"count": 0}')
    with pytest.raises(InventoryError, match=r'\{"data": \[...\]\}'):
        import_inventory(store, path)


def test_cli_prints_summary_and_fails_on_rejections(tmp_path: Path, capsys) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps([_resource(VM_ID), {"id": 7}]))

    status = main(["--db", str(tmp_path / "cli.db"), "import-inventory", str(path)])

    out, err = capsys.readouterr()
    assert status == 1
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in out
    assert "row 2: id must be text, got int" in err
