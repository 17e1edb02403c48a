"""Workflow automation: Defender's rule model, and each rule firing exactly once per target and
trigger."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.engine.playbook_support import add_alert, add_incident, config_from
from tests.factories import entity
from tui.config import Config
from tui.engine.automation import (
    load_rules,
    on_alert_changed,
    on_alerts_created,
    on_incidents_changed,
    on_incidents_created,
)
from tui.engine.playbooks import PlaybookError, list_runs
from tui.store import Store

PY = sys.executable


def _config(tmp_path: Path, rules: str) -> Config:
    script = tmp_path / "count.py"
    script.write_text(
        "import os\nopen('executions.log', 'a').write(os.environ['THREATDESK_TARGET_ID'] + '\\n')\n"
    )
    return config_from(
        f'[playbooks.count]\nkind = "command"\nargv = ["{PY}", "{script}"]\ncwd = "{tmp_path}"\n'
        + rules,
        tmp_path,
    )


def _executed(tmp_path: Path) -> list[int]:
    log = tmp_path / "executions.log"
    return [int(x) for x in log.read_text().split()] if log.exists() else []


HIGH_ON_WEB = """
[[automation]]
name = "high-on-web"
playbook = "count"
trigger = "alert-created"
[[automation.rule_sets]]
rules = [
  { property = "severity", operator = "greater than", value = "Medium" },
  { property = "entities.host.display", operator = "starts with", value = "WEB-" },
]
[[automation.rule_sets]]
rules = [{ property = "alertType", operator = "equals", value = "vm_ransomware" }]
"""


def test_rule_sets_are_ored_and_rules_anded(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, HIGH_ON_WEB)
    web = [entity("host", "web-01")]
    ids = [
        add_alert(store, severity="High", entities=web),  # set 1: both rules hold
        add_alert(store, severity="Medium", entities=web),  # set 1: severity fails
        add_alert(store, severity="High", entities=[entity("host", "db-01")]),  # host fails
        add_alert(store, severity="Low", alert_type="VM_Ransomware"),  # set 2
    ]
    runs = on_alerts_created(store, config, ids)
    assert sorted(r.target_id for r in runs) == [ids[0], ids[3]]
    assert all(
        (r.trigger, r.rule, r.status) == ("automatic", "high-on-web", "success") for r in runs
    )
    assert sorted(_executed(tmp_path)) == [ids[0], ids[3]]


def test_a_rule_fires_once_per_alert_and_trigger(store: Store, tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        HIGH_ON_WEB
        + '[[automation]]\nname = "on-change"\nplaybook = "count"\ntrigger = "alert-changed"\n',
    )
    alert_id = add_alert(store, severity="High", entities=[entity("host", "web-01")])
    assert len(on_alerts_created(store, config, [alert_id])) == 1
    assert on_alerts_created(store, config, [alert_id]) == []  # imported again: no second run
    assert len(on_alert_changed(store, config, [alert_id])) == 1  # another trigger fires
    assert on_alert_changed(store, config, [alert_id]) == []
    assert _executed(tmp_path) == [alert_id, alert_id]
    assert len(list_runs(store.conn, "alert", alert_id)) == 2


INCIDENT_RULES = """
[[automation]]
name = "big-incident"
playbook = "count"
trigger = "incident-created"
[[automation.rule_sets]]
rules = [
  { property = "alert_count", operator = "greater than", value = 1 },
  { property = "entities.ip.address", operator = "equals", value = "203.0.113.5" },
]
[[automation]]
name = "incident-closed"
playbook = "count"
trigger = "incident-changed"
[[automation.rule_sets]]
rules = [{ property = "status", operator = "not equals", value = "active" }]
"""


def test_incident_rules_see_columns_and_the_entities_of_all_alerts(
    store: Store, tmp_path: Path
) -> None:
    config = _config(tmp_path, INCIDENT_RULES)
    attacker = [entity("ip", "203.0.113.5", address="203.0.113.5")]
    big = add_incident(store, [add_alert(store), add_alert(store, entities=attacker)])
    small = add_incident(store, [add_alert(store, entities=attacker)])
    assert [r.target_id for r in on_incidents_created(store, config, [big, small])] == [big]
    assert on_incidents_changed(store, config, [big, small]) == []  # both still Active
    assert on_incidents_created(store, config, [big]) == []


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ('{ property = "alert_display_name", operator = "contains", value = "MIMIKATZ" }', True),
        ('{ property = "alert_display_name", operator = "ends with", value = "host" }', True),
        ('{ property = "alert_display_name", operator = "equals", value = "mimikatz" }', False),
        ('{ property = "severity", operator = "less than", value = "high" }', True),
        ('{ property = "severity", operator = "greater than", value = "Medium" }', False),
        (
            '{ property = "extended_properties.Attempts", operator = "greater than", value = 40 }',
            True,
        ),
        (
            '{ property = "extended_properties.attempts", operator = "less than", value = 40 }',
            False,
        ),
        (
            r'{ property = "extended_properties.id", operator = "equals", value = "ADM\\u200bIN" }',
            True,
        ),
        ('{ property = "extended_properties.id", operator = "equals", value = "admin" }', False),
        ('{ property = "intent", operator = "equals", value = "credentialaccess" }', True),
        (
            '{ property = "entities.ip.key", operator = "not equals", value = "198.51.100.23" }',
            False,
        ),
        ('{ property = "entities.account.name", operator = "not equals", value = "x" }', True),
        ('{ property = "no_such_column", operator = "equals", value = "x" }', False),
    ],
)
def test_operators_compare_visible_text_case_insensitively(
    store: Store, tmp_path: Path, rule: str, matches: bool
) -> None:
    from tui.model import Intent

    config = _config(
        tmp_path,
        '[[automation]]\nname = "r"\nplaybook = "count"\ntrigger = "alert-created"\n'
        f"[[automation.rule_sets]]\nrules = [{rule}]\n",
    )
    alert_id = add_alert(
        store,
        title="Mimikatz on host",
        severity="Medium",
        intent=(Intent.CREDENTIAL_ACCESS, Intent.EXECUTION),
        extended_properties={"Attempts": "42", "Id": "adm\u200bin"},
    )
    assert bool(on_alerts_created(store, config, [alert_id])) is matches


def test_disabled_rules_and_readonly_never_fire(store: Store, tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[[automation]]\nname = "off"\nplaybook = "count"\ntrigger = "alert-created"\n'
        "enabled = false\n"
        '[[automation]]\nname = "all"\nplaybook = "count"\ntrigger = "alert-created"\n',
    )
    alert_id = add_alert(store)
    assert on_alerts_created(store, config, [alert_id], readonly=True) == []
    assert [r.rule for r in on_alerts_created(store, config, [alert_id])] == ["all"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('name = "x"\nplaybook = "missing"\ntrigger = "alert-created"', "no playbook named"),
        ('name = "x"\nplaybook = "count"\ntrigger = "alert-deleted"', "trigger must be one of"),
        ('name = "bad name!"\nplaybook = "count"\ntrigger = "alert-created"', "name must be"),
        (
            'name = "x"\nplaybook = "count"\ntrigger = "alert-created"\n[[automation.rule_sets]]\n'
            'rules = [{ property = "severity", operator = "matches", value = "x" }]',
            "operator must be one of",
        ),
        (
            'name = "x"\nplaybook = "count"\ntrigger = "alert-created"\n[[automation.rule_sets]]\n'
            'rules = [{ property = "severity", operator = "greater than", value = "huge" }]',
            "unknown severity",
        ),
        (
            'name = "x"\nplaybook = "count"\ntrigger = "alert-created"\n[[automation.rule_sets]]\n'
            "rules = []",
            "non-empty rules list",
        ),
    ],
)
def test_bad_rules_are_refused_with_a_reason(tmp_path: Path, rules: str, message: str) -> None:
    with pytest.raises(PlaybookError, match=message):
        load_rules(_config(tmp_path, f"[[automation]]\n{rules}\n"))


def test_duplicate_rule_names_are_refused(tmp_path: Path) -> None:
    rule = '[[automation]]\nname = "x"\nplaybook = "count"\ntrigger = "alert-created"\n'
    with pytest.raises(PlaybookError, match="declared twice"):
        load_rules(_config(tmp_path, rule + rule))
