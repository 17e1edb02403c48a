"""Property: for any rule and any alerts, simulate predicts exactly what apply dismisses, the
ingest-time screen dismisses the same alerts as they arrive, and nothing else changes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import entity, make_alert
from tui.engine import suppression as sup
from tui.engine.suppression_ingest import IngestSuppression
from tui.engine.suppression_rule import Condition, Op, Rule
from tui.model import EntityType, Status
from tui.store import Store
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


def _alerts(alerts: list[tuple]) -> list:
    return [
        make_alert(
            alert_type=t,
            status=Status(status),
            entities=[
                entity(EntityType.HOST, h),
                entity(EntityType.IP, ip),
                entity(EntityType.PROCESS, cmd),
            ],
        )
        for t, h, ip, cmd, status in alerts
    ]


def _statuses(store: Store) -> list[tuple[str, int | None]]:
    return store.conn.execute(
        "SELECT status, suppressed_by_rule FROM alerts ORDER BY id"
    ).fetchall()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts_strategy, st.sampled_from([*TYPES, "*"]), conditions_strategy)
def test_simulate_equals_apply_and_ingest(alerts: list, alert_type: str, conds: list) -> None:
    rule = Rule("prop-rule", alert_type, conditions=tuple(conds))
    with tempfile.TemporaryDirectory() as tmp:
        past, arriving = Store(Path(tmp) / "past.db"), Store(Path(tmp) / "new.db")
        try:
            ids = upsert_alerts(past.conn, _alerts(alerts)).new_ids
            before = _statuses(past)
            predicted = sup.simulate(past, rule).alert_ids
            saved = sup.save_rule(past, rule, apply_existing=False, actor="p").rule
            assert sup.apply(past, saved, actor="p") == predicted
            expected = [
                ("Dismissed", saved.id) if alert_id in predicted else row
                for alert_id, row in zip(ids, before, strict=True)
            ]
            assert _statuses(past) == expected

            sup.save_rule(arriving, rule, apply_existing=False, actor="p")
            screen = IngestSuppression()
            upsert_alerts(arriving.conn, _alerts(alerts), screen)
            assert _statuses(arriving) == expected
            assert screen.dismissed == len(predicted)
        finally:
            past.close()
            arriving.close()
