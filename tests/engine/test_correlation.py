"""Correlation rules, noise control, explanations, kill chain, incremental == rebuild."""

from __future__ import annotations

import random

import pytest

from tests.factories import entity, make_alert
from tui.config import Config, ConfigError
from tui.engine.correlation import correlate_new, rebuild
from tui.engine.correlation_settings import CorrelationSettings
from tui.model import EntityType, Intent, Severity
from tui.store import incidents as db
from tui.store.alerts import upsert_alerts

HOUR = 60


def load(store, alerts) -> list[int]:
    return upsert_alerts(store.conn, alerts).new_ids


def partition(store) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for alert_id, (incident_id, _reason) in db.memberships(store.conn).items():
        groups.setdefault(incident_id, set()).add(alert_id)
    return {frozenset(g) for g in groups.values()}


def host(name):
    return entity(EntityType.HOST, name)


def ip(value):
    return entity(EntityType.IP, value)


def account(name):
    return entity(EntityType.ACCOUNT, name)


def test_shared_host_within_window_forms_one_explained_incident(store):
    ids = load(
        store,
        [
            make_alert(alert_type="A", entities=[host("vm-web-01")]),
            make_alert(alert_type="B", minutes=2 * HOUR, entities=[host("vm-web-01")]),
            make_alert(alert_type="C", entities=[host("vm-other")]),
        ],
    )
    result = rebuild(store)
    assert partition(store) == {frozenset(ids[:2])}
    assert result.created == 1
    incident_id = db.incident_of_alert(store.conn, ids[0])
    incident = db.get_incident(store.conn, incident_id)
    assert incident["alert_count"] == 2
    assert any("host vm-web-01" in r for r in incident["reasons"])
    reasons = [a["reason"] for a in db.alerts_of_incident(store.conn, incident_id)]
    assert all("Shares host vm-web-01 with alert" in r and "2 h apart" in r for r in reasons)


def test_one_detection_repeating_is_not_an_incident(store):
    load(store, [make_alert(alert_type="A", minutes=m, entities=[host("h1")]) for m in range(5)])
    rebuild(store)
    assert partition(store) == set()


def test_slow_attack_chains_through_the_window_but_weeks_apart_stays_out(store):
    h = [host("vm-slow")]
    ids = load(
        store,
        [
            make_alert(alert_type="A", minutes=0, entities=h),
            make_alert(alert_type="B", minutes=60 * HOUR, entities=h),
            make_alert(alert_type="C", minutes=120 * HOUR, entities=h),
            make_alert(alert_type="D", minutes=30 * 24 * HOUR, entities=h),
        ],
    )
    rebuild(store)
    assert partition(store) == {frozenset(ids[:3])}


def test_window_is_configurable(store):
    h = [host("vm-1")]
    load(store, [make_alert(alert_type=t, minutes=m, entities=h) for t, m in (("A", 0), ("B", 90))])
    rebuild(store, CorrelationSettings(window_hours=1))
    assert partition(store) == set()
    rebuild(store, CorrelationSettings(window_hours=2))
    assert len(partition(store)) == 1


def test_same_correlation_key_and_source_incident_link_without_shared_entity(store):
    ids = load(
        store,
        [
            make_alert(alert_type="A", correlation_key="ck-1", entities=[host("a")]),
            make_alert(alert_type="A", correlation_key="ck-1", minutes=9000, entities=[host("b")]),
            make_alert(alert_type="B", source_incident_id="xdr-7", entities=[host("c")]),
            make_alert(alert_type="C", source_incident_id="xdr-7", entities=[host("d")]),
        ],
    )
    rebuild(store)
    assert partition(store) == {frozenset(ids[:2]), frozenset(ids[2:])}
    reason = db.alerts_of_incident(store.conn, db.incident_of_alert(store.conn, ids[0]))[0]
    assert "correlation key ck-1" in reason["reason"]


def test_same_alert_type_on_several_resources(store):
    spread = load(
        store,
        [
            make_alert(alert_type="K8S_Miner", minutes=m, entities=[host(f"node-{m}")])
            for m in (0, 10, 20)
        ],
    )
    pair = load(
        store,
        [make_alert(alert_type="KV_Enum", minutes=m, entities=[host(f"kv-{m}")]) for m in (0, 10)],
    )
    rebuild(store)
    assert partition(store) == {frozenset(spread)}
    incident = db.get_incident(store.conn, db.incident_of_alert(store.conn, spread[0]))
    assert "on 3 resources" in incident["title"]
    assert not set(pair) & set(db.memberships(store.conn))


def test_stop_list_entities_link_nothing(store):
    builtin = [account("system@nt authority")]
    custom = [account("svc-backup@corp")]
    load(store, [make_alert(alert_type=t, entities=builtin) for t in "AB"])
    load(store, [make_alert(alert_type=t, entities=custom) for t in "CD"])
    rebuild(store)
    assert len(partition(store)) == 1
    rebuild(store, CorrelationSettings(stop_list=("svc-backup@corp",)))
    assert partition(store) == set()


def test_common_entities_are_downgraded_and_glue_nothing(store):
    """A NAT egress IP and a domain controller seen with six unrelated compromised hosts."""
    expected = set()
    for n in range(6):
        shared = [host(f"vm-{n}"), ip("203.0.113.7"), host("dc01")]
        ids = load(
            store,
            [
                make_alert(
                    alert_type="Logon", minutes=n, entities=shared, compromised_entity=f"vm-{n}"
                ),
                make_alert(
                    alert_type="Dump",
                    minutes=n + 5,
                    entities=[host(f"vm-{n}")],
                    compromised_entity=f"vm-{n}",
                ),
            ],
        )
        expected.add(frozenset(ids))
    rebuild(store)
    assert partition(store) == expected
    related = db.related_alerts(store.conn, min(min(g) for g in expected))
    assert {r["entity"] for r in related} == {"vm-0"}


def test_kill_chain_title_and_raised_severity(store):
    h = [host("vm-web-01")]
    stages = (Intent.INITIAL_ACCESS, Intent.PERSISTENCE, Intent.EXFILTRATION)
    ids = load(
        store,
        [
            make_alert(alert_type=f"T{n}", minutes=n, intent=(s,), severity="Medium", entities=h)
            for n, s in enumerate(stages)
        ],
    )
    rebuild(store)
    incident = db.get_incident(store.conn, db.incident_of_alert(store.conn, ids[0]))
    assert incident["title"] == (
        "Multi-stage attack on vm-web-01: Initial access → Persistence → Exfiltration"
    )
    assert incident["severity"] == Severity.HIGH
    assert incident["stages"] == ["InitialAccess", "Persistence", "Exfiltration"]


def test_new_alert_bridging_two_incidents_merges_them(store):
    first = load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "AB"])
    second = load(store, [make_alert(alert_type=t, entities=[host("h2")]) for t in "AB"])
    correlate_new(store, first + second)
    assert len(partition(store)) == 2
    bridge = load(store, [make_alert(alert_type="C", entities=[host("h1"), host("h2")])])
    result = correlate_new(store, bridge)
    assert result.merged == 1
    assert partition(store) == {frozenset(first + second + bridge)}


def test_correlate_new_twice_changes_nothing(store):
    ids = load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "AB"])
    correlate_new(store, ids)
    again = correlate_new(store, ids)
    assert again.alerts == 0
    assert len(partition(store)) == 1


def _random_alerts(rng: random.Random, count: int) -> list:
    hosts = [f"host-{n}" for n in range(25)]
    alerts = []
    for n in range(count):
        where = rng.choice(hosts)
        found = [host(where)]
        if rng.random() < 0.3:
            found.append(ip("198.51.100.9"))  # becomes weak as it spreads
        if rng.random() < 0.2:
            found.append(account(f"user-{rng.randrange(8)}"))
        alerts.append(
            make_alert(
                alert_type=f"T{rng.randrange(6)}",
                minutes=rng.randrange(0, 20 * 24 * HOUR),
                entities=found,
                correlation_key=f"ck-{n % 40}" if rng.random() < 0.05 else "",
            )
        )
    return alerts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_batches_equal_a_rebuild(store, seed):
    rng = random.Random(seed)
    settings = CorrelationSettings(max_sites=4)
    for _ in range(8):
        ids = load(store, _random_alerts(rng, 40))
        correlate_new(store, ids, settings)
    incremental = partition(store)
    assert incremental
    rebuild(store, settings)
    assert partition(store) == incremental


def test_analyst_decisions_survive_a_rebuild(store):
    a = load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "ABC"])
    b = load(store, [make_alert(alert_type=t, entities=[host("h2")]) for t in "AB"])
    c = load(store, [make_alert(alert_type=t, entities=[host("h3")]) for t in "AB"])
    loner = load(store, [make_alert(alert_type="Z", entities=[host("h9")])])
    rebuild(store)
    conn = store.conn
    ia, ib, ic = (db.incident_of_alert(conn, x[0]) for x in (a, b, c))
    version = db.get_incident(conn, ia)["version"]
    version = db.remove_alert(conn, ia, a[2], version, "alice")
    version = db.add_alert(conn, ia, loner[0], version, "alice")
    db.merge(conn, ib, [ic], {ib: 1, ic: 1}, "bob")
    conn.execute("UPDATE incidents SET owner = 'alice', status = 'InProgress' WHERE id = ?", (ia,))
    expected = {frozenset([a[0], a[1], loner[0]]), frozenset(b + c)}
    correlate_new(store, [])
    assert partition(store) == expected
    rebuild(store)
    assert partition(store) == expected
    incident = db.get_incident(conn, ia)
    assert (incident["owner"], incident["status"]) == ("alice", "InProgress")
    assert db.incident_of_alert(conn, a[2]) is None
    later = load(store, [make_alert(alert_type="D", entities=[host("h3")])])
    correlate_new(store, later)
    assert db.incident_of_alert(conn, later[0]) == ib


def test_split_survives_and_stale_versions_conflict(store):
    ids = load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "ABCD"])
    rebuild(store)
    conn = store.conn
    incident_id = db.incident_of_alert(conn, ids[0])
    new_id = db.split(conn, incident_id, ids[2:], 1, "carol")
    with pytest.raises(db.ConflictError, match="carol"):
        db.add_alert(conn, incident_id, ids[3], 1, "dave")
    rebuild(store)
    assert partition(store) == {frozenset(ids[:2]), frozenset(ids[2:])}
    assert db.incident_of_alert(conn, ids[3]) == new_id


def test_settings_from_config_are_checked():
    config = Config(data={"correlation": {"window_hours": 24, "stop_list": ["Bob@Corp"]}})
    settings = CorrelationSettings.from_config(config)
    assert settings.window_seconds == 24 * 3600
    assert settings.stop_list == ("bob@corp",)
    with pytest.raises(ConfigError, match="window_hours must be positive"):
        CorrelationSettings.from_section({"window_hours": -1})
    with pytest.raises(ConfigError, match="no setting 'windw'"):
        CorrelationSettings.from_section({"windw": 3})


def test_correlate_command_prints_a_summary(store, capsys):
    from tui.cli import main

    load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "AB"])
    assert main(["--db", str(store.path), "correlate"]) == 0
    assert "1 created" in capsys.readouterr().out
    assert main(["--db", str(store.path), "correlate"]) == 0
    assert "0 alerts examined" in capsys.readouterr().out
    assert main(["--db", str(store.path), "correlate", "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rebuild:") and "0 created" in out
    assert main(["--db", str(store.path), "--readonly", "correlate"]) == 2


def test_entity_turning_weak_in_a_later_batch_unglues_what_it_joined(store):
    nat = ip("203.0.113.50")

    def on(where, alert_type, *extra):
        return make_alert(alert_type=alert_type, entities=[host(where), *extra])

    first = load(store, [on("h1", "A"), on("h1", "B", nat), on("h2", "C", nat)])
    correlate_new(store, first)
    assert partition(store) == {frozenset(first)}
    later = load(store, [on("h3", "D", nat), on("h3", "E")])
    result = correlate_new(store, later)
    assert result.mode == "incremental"
    expected = {frozenset(first[:2]), frozenset(later)}
    assert partition(store) == expected
    rebuild(store)
    assert partition(store) == expected


def test_alert_type_turning_routine_stops_linking_resources(store):
    sweep = load(
        store,
        [make_alert(alert_type="Sweep", minutes=m, entities=[host(f"n{m}")]) for m in (0, 1, 2)],
    )
    correlate_new(store, sweep)
    assert partition(store) == {frozenset(sweep)}
    repeats = load(
        store,
        [make_alert(alert_type="Sweep", minutes=500 + m, entities=[host("n0")]) for m in range(5)],
    )
    correlate_new(store, repeats)
    assert partition(store) == set()  # 8 alerts on 3 resources: a routine detection now
    rebuild(store)
    assert partition(store) == set()


def test_shared_domain_controller_nat_ip_and_system_do_not_merge_unrelated_attacks(store):
    """Four unrelated attacks, each also touching the DC; all via one NAT IP, all as SYSTEM."""
    shared = [host("dc01.corp"), ip("198.51.100.1"), account("nt authority\\system")]
    expected = set()
    for n in range(4):
        victim, attacker = f"ws-{n}.corp", ip(f"203.0.113.{n + 10}")
        ids = load(
            store,
            [
                make_alert(
                    alert_type=f"Stage{k}",
                    minutes=n * 30 + k,
                    compromised_entity=victim,
                    entities=[host(victim), attacker, *shared],
                )
                for k in range(3)
            ]
            + [
                make_alert(
                    alert_type="DCSync",
                    minutes=n * 30 + 5,
                    compromised_entity="dc01.corp",
                    entities=[host("dc01.corp"), attacker, *shared],
                )
            ],
        )
        expected.add(frozenset(ids))
    rebuild(store)
    assert partition(store) == expected


def test_a_batch_larger_than_the_incremental_limit_runs_as_a_rebuild(store):
    first = load(store, [make_alert(alert_type=t, entities=[host("h1")]) for t in "AB"])
    assert correlate_new(store, first).mode == "rebuild"  # nothing correlated yet
    more = load(store, [make_alert(alert_type=t, entities=[host("h2")]) for t in "AB"])
    assert correlate_new(store, more, CorrelationSettings(incremental_limit=1)).mode == "rebuild"
    assert partition(store) == {frozenset(first), frozenset(more)}
