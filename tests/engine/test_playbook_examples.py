"""The shipped example config works as a new user would use it: copied as-is, its command
playbooks run and its automation rules load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.playbook_support import add_alert, add_incident
from tests.factories import entity
from tui.config import load_config
from tui.engine.automation import load_rules, on_incidents_created
from tui.engine.playbooks import Target, load_playbooks, run_playbook
from tui.engine.playbooks.definitions import examples_dir
from tui.store import Store

EXAMPLE = examples_dir() / "config.example.toml"


def test_example_config_declares_working_playbooks_and_rules(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(EXAMPLE)
    assert set(load_playbooks(config)) == {"block-ips", "open-ticket", "logic-app", "ticket-api"}
    assert [r.trigger for r in load_rules(config)] == ["incident-created", "alert-created"]
    attacker = [entity("ip", "203.0.113.50", address="203.0.113.50")]
    alerts = [add_alert(store, severity="High", entities=attacker), add_alert(store)]
    incident = add_incident(store, alerts)
    [blocked] = on_incidents_created(store, config, [incident])
    assert (blocked.playbook, blocked.status, blocked.trigger) == (
        "block-ips",
        "success",
        "automatic",
    )
    rules = json.loads(
        (
            tmp_path / "threatdesk-responses" / "blocks" / f"nsg-block-incident-{incident}.json"
        ).read_text()
    )
    assert rules["securityRules"][0]["properties"]["sourceAddressPrefixes"] == [
        "198.51.100.23",
        "203.0.113.50",
    ]
    ticket = run_playbook(store, config, "open-ticket", Target("incident", incident), "alice")
    assert ticket.status == "success", ticket.error
    assert (tmp_path / "threatdesk-responses" / "tickets" / f"TD-incident-{incident}.md").exists()
