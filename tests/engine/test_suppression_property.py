"""Property: for any rule and any alerts, simulate predicts exactly what apply dismisses, the
batch path used at ingest (`within=`) agrees, and nothing else changes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import entity, make_alert
from tui.engine import suppression as sup
from tui.engine.suppression_rule import Condition, Op, Rule
from tui.model import EntityType
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts

HOSTS = ["build01.contoso.com", "build02.contoso.com", "web01"]
IPS = ["10.0.0.5", "10.0.0.6", "2001:db8::1"]
COMMANDS = [
    "backup.exe /job 1 /out C:\\Temp\\tmp1A2B.tmp",
    "backup.exe /job 22 /out C:\\Temp\\tmpFFFF.tmp",
    "backup.exe /job 3 /out C:\\Temp\\tmp0001.tmp & mimikatz.exe",
    "nightly.exe\x00 & whoami",
    "nightly.exe",
]
TYPES = ["VM_A", "VM_B"]

alerts_strategy = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.sampled_from(HOSTS),
        st.sampled_from(IPS),
        st.sampled_from(COMMANDS),
        st.sampled_from(["Active", "InProgress", "Resolved"]),
    ),
    min_size=1,
    max_size=12,
)
conditions_strategy = st.lists(
    st.one_of(
        st.builds(
            lambda v: Condition("entities.host.hostname", Op.IN, values=tuple(v)),
            st.lists(st.sampled_from(["build01", "web01", "BUILD02.contoso.com"]), min_size=1),
        ),
        st.builds(
            lambda v: Condition("entities.ip.address", Op.IN, values=(v,)), st.sampled_from(IPS)
        ),
        st.builds(
            lambda t: Condition("entities.process.commandline", Op.CONTAINS, text=t),
            st.sampled_from(["BACKUP", "mimikatz", "nightly.exe"]),
        ),
        st.builds(
            lambda t: Condition("entities.process.commandline", Op.SIMILAR, text=t),
            st.sampled_from(["backup.exe /job 9 /out C:\\Temp\\tmp9999.tmp", "nightly.exe"]),
        ),
    ),
    min_size=1,
    max_size=3,
)


def _store(tmp: str, alerts: list[tuple]) -> tuple[Store, list[int]]:
    store = Store(Path(tmp) / "p.db")
    batch = [
        make_alert(
            alert_type=t,
            entities=[
                entity(EntityType.HOST, h),
                entity(EntityType.IP, ip),
                entity(EntityType.PROCESS, cmd),
            ],
        )
        for t, h, ip, cmd, _status in alerts
    ]
    ids = upsert_alerts(store.conn, batch).new_ids
    with transaction(store.conn):
        for alert_id, (*_rest, status) in zip(ids, alerts, strict=True):
            store.conn.execute("UPDATE alerts SET status = ? WHERE id = ?", (status, alert_id))
    return store, ids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts_strategy, st.sampled_from([*TYPES, "*"]), conditions_strategy)
def test_simulate_equals_apply_and_ingest(alerts: list, alert_type: str, conds: list) -> None:
    rule = Rule("prop-rule", alert_type, conditions=tuple(conds))
    with tempfile.TemporaryDirectory() as tmp:
        store, ids = _store(tmp, alerts)
        try:
            predicted = sup.simulate(store, rule).alert_ids
            assert sup.matching_alert_ids(store, rule, within=ids[::-1]) == predicted
            saved = sup.save_rule(store, rule, apply_existing=False, actor="p").rule
            assert sup.apply(store, saved, actor="p") == predicted
            for alert_id, (*_rest, status) in zip(ids, alerts, strict=True):
                if alert_id not in predicted:
                    row = store.conn.execute(
                        "SELECT status FROM alerts WHERE id = ?", (alert_id,)
                    ).fetchone()
                    assert row == (status,)
        finally:
            store.close()
