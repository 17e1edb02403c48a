"""Dismissed-by-rule alerts stay visible under a filter; :rules and :runs open their screens."""

from __future__ import annotations

from tests.factories import make_alert
from tests.ui.pilot import loaded, until
from tui.engine.suppression import save_rule
from tui.engine.suppression_rule import Rule
from tui.store import Store
from tui.store.alert_list import ListFilter, counts, ordered_keys
from tui.store.alerts import upsert_alerts
from tui.ui.app import ThreatdeskApp
from tui.ui.rules_screen import RulesScreen
from tui.ui.runs_screen import RunsScreen


def _seed(store: Store) -> list[int]:
    ids = upsert_alerts(
        store.conn,
        [make_alert(alert_type="Noise_Scan", minutes=i) for i in range(3)]
        + [make_alert(alert_type="VM_Real", minutes=10)],
    ).new_ids
    save_rule(store, Rule(name="scan-noise", alert_type="Noise_Scan"), apply_existing=True)
    return ids


def test_suppressed_filter_lists_exactly_the_dismissed_alerts(store: Store) -> None:
    ids = _seed(store)
    keys = ordered_keys(store.conn, ListFilter(suppressed=True))
    assert sorted(keys) == ids[:3]
    assert counts(store.conn, ListFilter(suppressed=True)).total == 3


async def test_command_bar_shows_suppressed_then_opens_rules_and_runs(store: Store) -> None:
    _seed(store)
    async with ThreatdeskApp(store).run_test(size=(100, 30)) as pilot:
        await loaded(pilot, 4)
        await pilot.press("colon", *"suppressed", "enter")
        await loaded(pilot, 3)
        await pilot.press("colon", *"rules", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, RulesScreen))
        await pilot.press("escape", "colon", *"runs", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, RunsScreen))
