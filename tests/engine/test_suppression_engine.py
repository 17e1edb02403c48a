"""Suppression engine: simulate, apply, ingest-time suppression, undo, warnings, proposal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import entity, make_alert
from tui.engine import suppression as sup
from tui.engine.suppression_ingest import IngestSuppression
from tui.engine.suppression_rule import Condition, Op, Rule, RuleError, RuleState, load_defender
from tui.model import Alert, EntityType, Severity, Status
from tui.store import ConflictError, Store, transaction
from tui.store.alerts import upsert_alerts
from tui.store.audit import history, verify_chain

GUIDS = [f"{n:08x}-4f89-11d3-9a0c-0305e82c33{n:02x}" for n in range(10)]


def backup(n: int) -> str:
    return f"C:\\Tools\\backup.exe /job {n} /out C:\\Temp\\tmp{n:04X}.tmp /id {GUIDS[n]}"


def add(store: Store, *alerts: Alert) -> list[int]:
    return upsert_alerts(store.conn, list(alerts)).new_ids


def add_screened(store: Store, *alerts: Alert) -> list[int]:
    """Alerts arriving through the ingest-time suppression screen."""
    return upsert_alerts(store.conn, list(alerts), IngestSuppression()).new_ids


def noise(
    n: int,
    host: str = "build01.contoso.com",
    alert_type: str = "VM_SuspiciousProcess",
    **kw: object,
) -> Alert:
    return make_alert(
        alert_type=alert_type,
        entities=[
            entity(EntityType.HOST, host),
            entity(EntityType.PROCESS, backup(n)),
            entity(EntityType.IP, "10.0.0.5"),
        ],
        **kw,
    )


def status(store: Store, alert_id: int) -> tuple[str, int | None]:
    return store.conn.execute(
        "SELECT status, suppressed_by_rule FROM alerts WHERE id = ?", (alert_id,)
    ).fetchone()


def set_status(store: Store, alert_id: int, value: str) -> None:
    with transaction(store.conn):
        store.conn.execute("UPDATE alerts SET status = ? WHERE id = ?", (value, alert_id))


def similar_rule(name: str = "backup-noise", **kw: object) -> Rule:
    return Rule(
        name,
        "VM_SuspiciousProcess",
        conditions=(
            Condition("entities.host.hostname", Op.IN, values=("build01",)),
            Condition("entities.process.commandline", Op.SIMILAR, text=backup(0)),
        ),
        **kw,
    )


def mixed_alerts() -> dict[str, list[Alert]]:
    """Noise on build01, the same job elsewhere, an attack riding on it, another type."""
    return {
        "noise": [noise(n) for n in range(1, 6)],
        "other_host": [noise(6, host="web02.contoso.com")],
        "attack": [
            make_alert(
                alert_type="VM_SuspiciousProcess",
                entities=[
                    entity(EntityType.HOST, "build01.contoso.com"),
                    entity(EntityType.PROCESS, backup(7) + "\x00 & mimikatz.exe privilege::debug"),
                ],
            )
        ],
        "other_type": [noise(8, alert_type="VM_Other")],
    }


@pytest.fixture
def mixed(store: Store) -> dict[str, list[int]]:
    return {group: add(store, *alerts) for group, alerts in mixed_alerts().items()}


def test_simulate_finds_the_noise_only(store: Store, mixed: dict[str, list[int]]) -> None:
    sim = sup.simulate(store, similar_rule())
    assert sim.alert_ids == mixed["noise"]
    assert sim.count == 5
    assert sim.warnings == []


def test_each_condition_kind_narrows(store: Store, mixed: dict[str, list[int]]) -> None:
    by_ip = Rule("r-ip", "*", conditions=(Condition("entities.ip.address", Op.IN, ("10.0.0.5",)),))
    assert sup.simulate(store, by_ip).alert_ids == sorted(
        mixed["noise"] + mixed["other_host"] + mixed["other_type"]
    )
    by_contains = Rule(
        "r-c",
        "*",
        conditions=(Condition("entities.process.commandline", Op.CONTAINS, text="MIMIKATZ"),),
    )
    assert sup.simulate(store, by_contains).alert_ids == mixed["attack"]
    by_type = Rule("r-t", "VM_Other")
    assert sup.simulate(store, by_type).alert_ids == mixed["other_type"]
    nothing = Rule("r-n", "*", conditions=(Condition("entities.ip.address", Op.IN, ("10.9.9.9",)),))
    assert sup.simulate(store, nothing).alert_ids == []
    empty = Rule("r-e", "*", conditions=(Condition("entities.process.commandline", Op.CONTAINS),))
    with pytest.raises(RuleError, match="empty value"):
        sup.simulate(store, empty)


def test_simulate_equals_what_apply_then_does(store: Store, mixed: dict[str, list[int]]) -> None:
    closed = mixed["noise"][0]
    set_status(store, closed, "Resolved")
    rule = similar_rule()
    predicted = sup.simulate(store, rule).alert_ids
    saved = sup.save_rule(store, rule, apply_existing=False, actor="alice").rule
    assert sup.apply(store, saved, actor="alice") == predicted == mixed["noise"][1:]
    for alert_id in predicted:
        assert status(store, alert_id) == ("Dismissed", saved.id)
    assert status(store, closed) == ("Resolved", None)  # an analyst's verdict stays
    assert status(store, mixed["attack"][0]) == ("Active", None)
    assert sup.simulate(store, saved).count == 0
    row = store.conn.execute(
        "SELECT classification, classification_comment FROM alerts WHERE id = ?", (predicted[0],)
    ).fetchone()
    assert row == ("FalsePositive", "Suppressed by rule backup-noise")


def test_simulate_and_ingest_decide_alike(
    store: Store, mixed: dict[str, list[int]], tmp_path: Path
) -> None:
    """What `simulate` finds among stored alerts is what the ingest screen dismisses when the
    same alerts arrive after the rule (both databases number the alerts alike)."""
    rules = [
        similar_rule(),
        Rule("r-ip", "*", conditions=(Condition("entities.ip.address", Op.IN, ("10.0.0.5",)),)),
        Rule(
            "r-host",
            "VM_SuspiciousProcess",
            conditions=(Condition("entities.host.hostname", Op.IN, ("web02",)),),
        ),
        Rule(
            "r-c",
            "*",
            conditions=(Condition("entities.process.commandline", Op.CONTAINS, text="/JOB 3 "),),
        ),
        Rule(
            "r-sim-all",
            "*",
            conditions=(Condition("entities.process.commandline", Op.SIMILAR, text=backup(0)),),
        ),
    ]
    arriving = [a for alerts in mixed_alerts().values() for a in alerts]
    for rule in rules:
        expected = sup.simulate(store, rule).alert_ids
        assert expected, rule.name
        fresh = Store(tmp_path / f"{rule.name}.db")
        saved = sup.save_rule(fresh, rule, apply_existing=False).rule
        ids = add_screened(fresh, *arriving)
        dismissed = [i for i in ids if status(fresh, i) == ("Dismissed", saved.id)]
        assert dismissed == expected, rule.name
        fresh.close()


def test_ingest_time_suppression(store: Store) -> None:
    sup.save_rule(store, similar_rule(), apply_existing=False, actor="alice")
    new = add_screened(store, noise(1), noise(2), noise(3, host="web02.contoso.com"))
    rule = sup.get_rule(store, "backup-noise")
    assert [status(store, i) for i in new] == [
        ("Dismissed", rule.id),
        ("Dismissed", rule.id),
        ("Active", None),
    ]
    row = store.conn.execute(
        "SELECT classification, classification_comment FROM alerts WHERE id = ?", (new[0],)
    ).fetchone()
    assert row == ("FalsePositive", "Suppressed by rule backup-noise")
    assert rule.hits == 2 and rule.last_hit_utc
    dismissals = [
        h
        for h in history(store.conn, "suppression_rule", rule.id)
        if h["action"] == "suppression.dismiss"
    ]
    assert dismissals[0]["actor"] == "threatdesk"
    assert dismissals[0]["after"]["author"] == "alice"
    assert dismissals[0]["after"]["alert_ids"] == new[:2]
    assert sup.dismissed_alerts(store, rule) == new[:2]


def test_ingest_screen_leaves_closed_alerts_and_takes_the_oldest_rule(store: Store) -> None:
    first = sup.save_rule(store, similar_rule("first"), apply_existing=False).rule
    sup.save_rule(
        store,
        Rule("any-build01", "*", conditions=similar_rule().conditions[:1]),
        apply_existing=False,
    )
    resolved = noise(2, status=Status.RESOLVED)
    new = add_screened(store, noise(1), resolved)
    assert status(store, new[0]) == ("Dismissed", first.id)
    assert status(store, new[1]) == ("Resolved", None)


@pytest.mark.parametrize("host", ["build01", "build01.contoso", "BUILD01.contoso.com"])
def test_an_older_host_rule_of_any_type_takes_the_alert_first(store: Store, host: str) -> None:
    """Host rules are found through their key (whole name or a dotted prefix of it), and the
    oldest matching rule wins whether it names a type or not."""
    host_rule = Rule(
        "any-host", "*", conditions=(Condition("entities.host.hostname", Op.IN, (host,)),)
    )
    older = sup.save_rule(store, host_rule, apply_existing=False).rule
    sup.save_rule(store, similar_rule("typed"), apply_existing=False)
    other = noise(2, host="build011.contoso.com")  # a longer name is not a prefix match
    new = add_screened(store, noise(1), other)
    assert status(store, new[0]) == ("Dismissed", older.id)
    assert status(store, new[1]) == ("Active", None)


def test_a_rule_saved_during_an_import_applies_from_the_next_batch(store: Store) -> None:
    screen = IngestSuppression()
    before = upsert_alerts(store.conn, [noise(1)], screen).new_ids
    rule = sup.save_rule(store, similar_rule(), apply_existing=False).rule
    after = upsert_alerts(store.conn, [noise(2)], screen).new_ids
    assert status(store, before[0]) == ("Active", None)
    assert status(store, after[0]) == ("Dismissed", rule.id)
    assert screen.dismissed == 1


def test_disabled_and_expired_rules_do_not_match_new_alerts(store: Store) -> None:
    sup.save_rule(store, similar_rule("off", state=RuleState.DISABLED), apply_existing=False)
    expired = similar_rule("old", expiration_date_utc="2020-01-01T00:00:00.000000Z")
    saved = sup.save_rule(store, expired, apply_existing=True).rule
    assert saved.effective_state("2026-01-01") is RuleState.EXPIRED
    new = add_screened(store, noise(1))
    assert status(store, new[0]) == ("Active", None)
    with pytest.raises(RuleError, match="Expired"):
        sup.apply(store, saved)


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_reactivate_or_keep_when_a_rule_goes(store: Store, how: str) -> None:
    ids = add(store, noise(1), noise(2))
    result = sup.save_rule(store, similar_rule(), apply_existing=True, actor="alice")
    assert result.dismissed == ids
    rule = result.rule
    set_status(store, ids[1], "Resolved")  # an analyst re-closed it meanwhile: left alone
    change = sup.set_state if how == "disable" else sup.delete_rule
    args = (RuleState.DISABLED,) if how == "disable" else ()
    revived = change(store, rule, *args, reactivate=True, actor="bob")
    assert revived == [ids[0]]
    assert status(store, ids[0]) == ("Active", None)
    assert status(store, ids[1]) == ("Resolved", rule.id)
    actions = [h["action"] for h in history(store.conn, "suppression_rule", rule.id)]
    assert actions[-1] == "suppression.reactivate"
    assert verify_chain(store.conn) is None


def test_keep_dismissed_leaves_alerts_and_delete_frees_the_name(store: Store) -> None:
    ids = add(store, noise(1))
    rule = sup.save_rule(store, similar_rule(), apply_existing=True).rule
    assert sup.delete_rule(store, rule, reactivate=False, actor="bob") == []
    assert status(store, ids[0]) == ("Dismissed", rule.id)
    assert sup.get_rule(store, rule.id).name == "backup-noise"  # the row stays for the record
    assert sup.list_rules(store) == []
    again = sup.save_rule(store, similar_rule(), apply_existing=False).rule
    assert again.id != rule.id


def test_warnings_for_high_severity_and_open_incidents(store: Store) -> None:
    high = add(store, noise(1, severity=Severity.HIGH))
    in_open, in_closed = add(store, noise(2)), add(store, noise(3))
    with transaction(store.conn):
        for alert_id, state in ((in_open[0], "InProgress"), (in_closed[0], "Resolved")):
            cur = store.conn.execute(
                "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
                " last_activity_utc, status, created_at, updated_at)"
                " VALUES ('i', 'Medium', 2, 'x', 'x', ?, 'x', 'x')",
                (state,),
            )
            store.conn.execute(
                "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, 'x')",
                (alert_id, cur.lastrowid),
            )
    sim = sup.simulate(store, similar_rule())
    assert (sim.high, sim.in_open_incident) == (1, 1)
    assert sim.warnings == [
        "would dismiss 1 High-severity alert(s)",
        "would dismiss 1 alert(s) inside an open incident",
    ]
    assert high[0] in sim.alert_ids


def test_every_rule_change_is_audited_with_the_analyst(store: Store) -> None:
    rule = sup.save_rule(store, similar_rule(), apply_existing=False, actor="alice").rule
    edited = sup.save_rule(
        store, rule.with_changes(comment="nightly job"), apply_existing=False, actor="bob"
    ).rule
    sup.set_state(store, edited, RuleState.DISABLED, reactivate=False, actor="carol")
    trail = [(h["action"], h["actor"]) for h in history(store.conn, "suppression_rule", rule.id)]
    assert trail == [
        ("suppression.rule.create", "alice"),
        ("suppression.rule.update", "bob"),
        ("suppression.rule.disabled", "carol"),
    ]


def test_stale_edit_is_refused_naming_who_changed_it(store: Store) -> None:
    rule = sup.save_rule(store, similar_rule(), apply_existing=False, actor="alice").rule
    sup.save_rule(store, rule.with_changes(comment="first"), apply_existing=False, actor="bob")
    with pytest.raises(ConflictError, match="changed by bob"):
        sup.save_rule(store, rule.with_changes(comment="second"), apply_existing=False)


def test_import_replaces_by_name_and_export_round_trips(store: Store, real_dir: Path) -> None:
    text = real_dir / "azure-rest-api-specs-security-alerts/GetAlertsSuppressionRules_example.json"
    rules = load_defender(text.read_text())
    results = sup.import_rules(store, rules, apply_existing=False, actor="alice")
    assert [created for _r, created in results] == [True, True]
    again = sup.import_rules(store, rules, apply_existing=False, actor="alice")
    assert [created for _r, created in again] == [False, False]
    stored = {r.name: r for r in sup.list_rules(store)}
    assert stored["dismissIpAnomalyAlerts"].conditions == rules[0].conditions
    assert stored["dismissIpAnomalyAlerts"].effective_state("2026-01-01") is RuleState.EXPIRED


def test_propose_rule_from_similar_alerts(store: Store) -> None:
    ids = add(store, noise(1), noise(2), noise(3))
    other = add(store, noise(4, host="web02.contoso.com"))
    rule = sup.propose_rule(store, ids)
    assert rule.alert_type == "VM_SuspiciousProcess"
    fields = {c.field: c for c in rule.conditions}
    assert fields["entities.host.hostname"].values == ("build01.contoso.com",)
    assert fields["entities.ip.address"].values == ("10.0.0.5",)
    assert fields["entities.process.commandline"].op is Op.SIMILAR
    assert rule.expiration_date_utc > rule.created_at
    assert sup.simulate(store, rule).alert_ids == ids
    assert other[0] not in sup.simulate(store, rule).alert_ids


def test_propose_identical_command_lines_gives_in(store: Store) -> None:
    same = [
        make_alert(entities=[entity(EntityType.PROCESS, "nightly.exe /quiet")]) for _ in range(2)
    ]
    rule = sup.propose_rule(store, add(store, *same))
    assert rule.conditions == (
        Condition("entities.process.commandline", Op.IN, ("nightly.exe /quiet",)),
    )
    assert rule.name == "suppress-VM_SuspiciousProcess"


def test_nul_command_line_is_not_suppressed_by_benign_rule(store: Store) -> None:
    """SECURITY 26 end to end: store, simulate and ingest-time suppression."""
    benign = add(store, make_alert(entities=[entity(EntityType.PROCESS, "nightly.exe")]))
    add(store, make_alert(entities=[entity(EntityType.PROCESS, "nightly.exe\x00 & mimikatz.exe")]))
    rule = Rule(
        "nightly",
        "*",
        conditions=(Condition("entities.process.commandline", Op.IN, ("nightly.exe",)),),
    )
    assert sup.simulate(store, rule).alert_ids == benign
    saved = sup.save_rule(store, rule, apply_existing=False).rule
    arrived = add_screened(
        store,
        make_alert(entities=[entity(EntityType.PROCESS, "nightly.exe")]),
        make_alert(entities=[entity(EntityType.PROCESS, "nightly.exe\x00 & mimikatz.exe")]),
    )
    assert [status(store, i) for i in arrived] == [("Dismissed", saved.id), ("Active", None)]


def test_contains_treats_like_wildcards_literally(store: Store) -> None:
    literal = add(store, make_alert(entities=[entity(EntityType.PROCESS, "tool.exe --x 50%_OFF")]))
    add(store, make_alert(entities=[entity(EntityType.PROCESS, "tool.exe --x 50abOFF")]))
    rule = Rule(
        "wild",
        "*",
        conditions=(Condition("entities.process.commandline", Op.CONTAINS, text="50%_off"),),
    )
    assert sup.simulate(store, rule).alert_ids == literal
