"""Pilot: the rules screen lists rules, opens a rule's page, disables and deletes with an
explicit choice about the alerts the rule dismissed."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Label

from tests.engine.test_suppression_engine import add, noise, similar_rule, status
from tests.ui.test_suppress_form import dialog, settle
from tui.engine import suppression as sup
from tui.engine.suppression_rule import RuleState
from tui.store import Store
from tui.ui.rules_screen import RulePage, RulesScreen


class Host(App):
    def __init__(self, store: Store, readonly: bool = False) -> None:
        super().__init__()
        self.store = store
        self.readonly = readonly

    def on_mount(self) -> None:
        self.push_screen(RulesScreen(self.store))


def cells(table: DataTable, row: int) -> list[str]:
    return [str(c) for c in table.get_row_at(row)]


async def test_list_page_disable_with_reactivate(store: Store) -> None:
    ids = add(store, noise(1), noise(2))
    rule = sup.save_rule(store, similar_rule(), apply_existing=True, actor="alice").rule
    app = Host(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#rules", DataTable)
        assert cells(table, 0)[:4] == ["backup-noise", "Enabled", "VM_SuspiciousProcess", "2"]
        assert cells(table, 0)[6] == "alice"
        await pilot.press("enter")
        await settle(app, pilot, lambda: isinstance(app.screen, RulePage))
        assert isinstance(app.screen, RulePage)
        assert "2 alert(s) dismissed by this rule" in str(
            app.screen.query_one("#summary", Label).render()
        )
        assert app.screen.query_one("#alerts", DataTable).row_count == 2
        await pilot.press("s")
        await settle(app, pilot)
        assert "0 open alert(s) match now" in str(app.screen.query_one("#summary", Label).render())
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot, dialog(app))
        await pilot.press("y")  # disable and reactivate them
        await settle(app, pilot, lambda: isinstance(app.screen, RulesScreen))
        assert cells(app.screen.query_one("#rules", DataTable), 0)[1] == "Disabled"
    assert sup.get_rule(store, rule.id).state is RuleState.DISABLED
    assert [status(store, i) for i in ids] == [("Active", None), ("Active", None)]


async def test_delete_keeping_dismissed_alerts(store: Store) -> None:
    ids = add(store, noise(1))
    rule = sup.save_rule(store, similar_rule(), apply_existing=True).rule
    app = Host(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot, dialog(app))
        await pilot.press("n")  # delete and keep them dismissed
        await settle(app, pilot, lambda: not app.screen.query_one("#rules", DataTable).row_count)
        assert app.screen.query_one("#rules", DataTable).row_count == 0
    assert sup.list_rules(store) == []
    assert status(store, ids[0]) == ("Dismissed", rule.id)


async def test_readonly_hides_changes(store: Store) -> None:
    sup.save_rule(store, similar_rule(), apply_existing=False)
    app = Host(store, readonly=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, RulesScreen)
    assert len(sup.list_rules(store)) == 1


async def test_edit_a_rule_from_the_list(store: Store) -> None:
    from textual.widgets import Input

    from tui.store.audit import history
    from tui.ui.suppress_form import SuppressScreen

    rule = sup.save_rule(store, similar_rule(), apply_existing=False, actor="alice").rule
    ids = add(store, noise(1))
    app = Host(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot, lambda: getattr(app.screen, "simulation", None) is not None)
        assert isinstance(app.screen, SuppressScreen)
        app.screen.query_one("#comment", Input).value = "nightly job on the build farm"
        await pilot.press("ctrl+s")
        await settle(app, pilot, dialog(app))
        await pilot.press("y")  # save
        await settle(app, pilot, dialog(app))
        await pilot.press("n")  # new alerts only
        await settle(app, pilot, lambda: isinstance(app.screen, RulesScreen))
        assert isinstance(app.screen, RulesScreen)
    edited = sup.get_rule(store, rule.id)
    assert (edited.comment, edited.version) == ("nightly job on the build farm", 2)
    assert history(store.conn, "suppression_rule", rule.id)[-1]["action"] == (
        "suppression.rule.update"
    )
    assert status(store, ids[0]) == ("Active", None)
