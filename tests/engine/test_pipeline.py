"""New alerts are screened by suppression as they are written, then correlated, then automated."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.factories import entity, make_alert
from tui.config import Config
from tui.engine.pipeline import process_new_alerts
from tui.engine.suppression import save_rule
from tui.engine.suppression_ingest import IngestSuppression
from tui.engine.suppression_rule import Rule
from tui.store import Store
from tui.store.alerts import upsert_alerts
from tui.store.incidents import incident_of_alert
from tui.store.playbooks import list_runs


def _config(tmp_path: Path) -> Config:
    script = tmp_path / "record.py"
    script.write_text("import sys; sys.stdin.read()\n")
    return Config(
        data={
            "playbooks": {"record": {"kind": "command", "argv": [sys.executable, str(script)]}},
            "automation": [
                {
                    "name": "every-alert",
                    "playbook": "record",
                    "trigger": "alert-created",
                    "rule_sets": [
                        {
                            "rules": [
                                {
                                    "property": "severity",
                                    "operator": "greater than",
                                    "value": "Informational",
                                }
                            ]
                        }
                    ],
                }
            ],
        }
    )


def test_suppressed_noise_fires_no_playbook_but_stays_in_its_incident(
    store: Store, tmp_path
) -> None:
    save_rule(store, Rule(name="scanner-noise", alert_type="Network_Scan"), apply_existing=False)
    host = entity("host", "vm-web-01")
    alerts = [
        make_alert(alert_type="VM_RDPBruteForce", minutes=0, entities=[host]),
        make_alert(alert_type="VM_CredentialDumping", minutes=20, entities=[host]),
        make_alert(alert_type="Network_Scan", minutes=25, entities=[host]),
    ]
    ids = upsert_alerts(store.conn, alerts, IngestSuppression()).new_ids
    result = process_new_alerts(store, ids, _config(tmp_path))

    assert result.suppressed == 1
    status = store.conn.execute("SELECT status FROM alerts WHERE id = ?", (ids[2],)).fetchone()
    assert status[0] == "Dismissed"
    incident = incident_of_alert(store.conn, ids[0])
    assert incident is not None and incident_of_alert(store.conn, ids[1]) == incident
    assert incident_of_alert(store.conn, ids[2]) == incident  # a rule hides nothing of it
    ran_on = {run.target_id for run in list_runs(store.conn)}
    assert {r.target_id for r in result.automated_runs} == {ids[0], ids[1]} == ran_on


def test_incident_automation_fires_for_incidents_the_import_created(store: Store, tmp_path) -> None:
    config = _config(tmp_path)
    config.data["automation"] = [
        {
            "name": "new-incidents",
            "playbook": "record",
            "trigger": "incident-created",
            "rule_sets": [
                {"rules": [{"property": "alert_count", "operator": "greater than", "value": 1}]}
            ],
        }
    ]
    host = entity("host", "vm-db-02")
    ids = upsert_alerts(
        store.conn,
        [
            make_alert(alert_type="VM_SqlInjection", minutes=0, entities=[host]),
            make_alert(alert_type="VM_WebShell", minutes=15, entities=[host]),
        ],
    ).new_ids
    result = process_new_alerts(store, ids, config)
    incident = incident_of_alert(store.conn, ids[0])
    assert incident is not None
    assert [(r.target_type, r.target_id) for r in result.automated_runs] == [("incident", incident)]
