"""`threatdesk rules ...` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.test_suppression_engine import add, noise, similar_rule
from tui.cli import main
from tui.engine import suppression as sup
from tui.engine.suppression_rule import Condition, Op, Rule, dump_defender
from tui.store import Store

EXAMPLE = "azure-rest-api-specs-security-alerts/GetAlertsSuppressionRules_example.json"


def run(store: Store, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(store.path), "rules", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_then_export_round_trips(
    store: Store, real_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(store, capsys, "import", str(real_dir / EXAMPLE))
    assert code == 0 and "created dismissIpAnomalyAlerts (Expired)" in out
    target = tmp_path / "rules.json"
    assert run(store, capsys, "export", "-o", str(target))[0] == 0
    original = json.loads((real_dir / EXAMPLE).read_text())["responses"]["200"]["body"]["value"]
    exported = json.loads(target.read_text())["value"]
    assert sorted(exported, key=lambda r: r["name"]) == sorted(original, key=lambda r: r["name"])
    code, out, _ = run(store, capsys, "list")
    assert "dismissIpAnomalyAlerts" in out and "Expired" in out


def test_simulate_with_options_prints_the_count_first(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    add(store, noise(1), noise(2), noise(3, host="web02.contoso.com"))
    code, out, _ = run(
        store,
        capsys,
        "simulate",
        "--alert-type",
        "VM_SuspiciousProcess",
        "--entity",
        "host.hostname=build01",
        "--entity",
        "ip.address=10.0.0.5",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2 matching alert(s)"
    assert len(lines) == 3


def test_simulate_a_rule_file(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(store, noise(1), noise(2))
    path = tmp_path / "rule.json"
    path.write_bytes(dump_defender([similar_rule()]))
    assert run(store, capsys, "simulate", str(path))[1].splitlines()[0] == "2 matching alert(s)"


def test_disable_and_delete_require_an_explicit_choice(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = add(store, noise(1))
    sup.save_rule(store, similar_rule(), apply_existing=True)
    with pytest.raises(SystemExit):
        run(store, capsys, "disable", "backup-noise")
    code, out, _ = run(store, capsys, "disable", "backup-noise", "--keep-dismissed")
    assert code == 0 and "1 alert(s) it dismissed stay dismissed" in out
    code, out, _ = run(store, capsys, "delete", "backup-noise", "--reactivate")
    assert code == 0 and "reactivated 1 alert(s)" in out
    assert store.conn.execute("SELECT status FROM alerts WHERE id = ?", ids).fetchone() == (
        "Active",
    )


def test_bad_input_names_the_rule_and_reason(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "properties": {"alertType": "T", "reason": "Test"}}))
    code, _, err = run(store, capsys, "import", str(path))
    assert code == 2 and "rule 'x': name must be 2-50" in err
    code, _, err = run(store, capsys, "simulate", "--entity", "nonsense")
    assert code == 2 and "expected FIELD=VALUE" in err
    code, _, err = run(store, capsys, "show", "missing")
    assert code == 2 and "no suppression rule 'missing'" in err


def test_readonly_refuses_changes(
    store: Store, real_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(store.path), "--readonly", "rules", "import", str(real_dir / EXAMPLE)])
    assert code == 2 and "--readonly" in capsys.readouterr().err
    assert sup.list_rules(store) == []


def test_import_apply_stops_at_warnings_unless_forced(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.model import Severity

    ids = add(store, noise(1), noise(2, severity=Severity.HIGH))
    path = tmp_path / "rule.json"
    path.write_bytes(dump_defender([similar_rule()]))
    code, out, _ = run(store, capsys, "import", str(path), "--apply")
    assert code == 0
    assert "warning: would dismiss 1 High-severity alert(s)" in out
    assert "existing alerts left alone" in out
    assert store.conn.execute(
        "SELECT count(*) FROM alerts WHERE status = 'Dismissed'"
    ).fetchone() == (0,)
    code, out, _ = run(store, capsys, "import", str(path), "--apply", "--force")
    assert "replaced backup-noise (Enabled)" in out and "dismissed 2 existing alert(s)" in out
    assert sup.dismissed_alerts(store, sup.get_rule(store, "backup-noise")) == ids


def test_threatdesk_import_stores_matching_alerts_dismissed(
    store: Store, real_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ingest-time suppression through `threatdesk import`, on the recorded Defender alerts."""
    rule = Rule(
        "unrecommended-ip-noise",
        "Network_TrafficFromUnrecommendedIP",
        reason="BenignPositive",
        conditions=(Condition("entities.host.hostname", Op.IN, ("alertstest",)),),
    )
    saved = sup.save_rule(store, rule, apply_existing=False, actor="alice").rule
    source = (
        real_dir / "defender-for-cloud-recorded-api-responses/security_alerts_list_excerpt.json"
    )
    assert main(["--db", str(store.path), "import", str(source)]) == 0
    assert "3 suppressed by rules" in capsys.readouterr().out
    rows = store.conn.execute(
        "SELECT alert_type, status, suppressed_by_rule FROM alerts ORDER BY id"
    ).fetchall()
    dismissed = [r for r in rows if r[1] == "Dismissed"]
    assert dismissed == [("Network_TrafficFromUnrecommendedIP", "Dismissed", saved.id)] * 3
    assert len(rows) > len(dismissed)
    assert sup.get_rule(store, saved.id).hits == 3
