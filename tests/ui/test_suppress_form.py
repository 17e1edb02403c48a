"""Pilot: suppress similar alerts with the keyboard and check the store."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.widgets import DataTable, Label, Static

from tests.engine.test_suppression_engine import add, noise, status
from tui.engine import suppression as sup
from tui.model import Severity
from tui.store import Store, transaction
from tui.store.audit import history
from tui.ui.suppress_form import ChoiceDialog, SuppressScreen, ValueDialog


class Host(App):
    """A tiny app that opens the form, as the integrator's `s` key will."""

    def __init__(self, screen: SuppressScreen) -> None:
        super().__init__()
        self.form = screen
        self.result: object = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.form, self._done)

    def _done(self, result: object) -> None:
        self.result = result


def incident_of(store: Store, alert_ids: list[int], state: str = "Active") -> int:
    with transaction(store.conn):
        cur = store.conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, status, created_at, updated_at)"
            " VALUES ('Noisy backups', 'Medium', 2, 'x', 'x', ?, 'x', 'x')",
            (state,),
        )
        for alert_id in alert_ids:
            store.conn.execute(
                "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, 'x')",
                (alert_id, cur.lastrowid),
            )
    return cur.lastrowid


async def settle(app: App, pilot, until=lambda: True, timeout: float = 20.0) -> None:
    """Let workers and timers run until `until()` holds (the machine may be slow)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if until() and all(w.is_finished for w in app.workers):
            return
        assert loop.time() < deadline, "the screen did not settle"


def simulated(form: SuppressScreen):
    return lambda: form.simulation is not None


def dialog(app: App):
    return lambda: isinstance(app.screen, ChoiceDialog)


async def test_suppress_similar_alerts_from_an_incident(store: Store, monkeypatch) -> None:
    monkeypatch.setenv("THREATDESK_USER", "alice")
    chosen = add(store, noise(1), noise(2))
    incident = incident_of(store, chosen, state="Resolved")
    past = add(store, noise(3), noise(4))
    elsewhere = add(store, noise(5, host="web02.contoso.com"))
    app = Host(SuppressScreen(store, incident_ids=[incident]))
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.form
        await settle(app, pilot, simulated(form))
        summary = str(form.query_one("#summary", Label).render())
        assert "4 past open alert(s)" in summary
        assert form.query_one("#preview", DataTable).row_count == 4
        # Narrow: the IP condition is the second; switch it off and back on; widen nothing.
        conditions = [c.field for c in form.draft().conditions]
        assert conditions == [
            "entities.host.hostname",
            "entities.ip.address",
            "entities.process.commandline",
        ]
        await pilot.press("down", "space")
        await settle(app, pilot, simulated(form))
        assert [c.field for c in form.draft().conditions] == [
            "entities.host.hostname",
            "entities.process.commandline",
        ]
        assert form.simulation.count == 4
        await pilot.press("ctrl+s")
        await settle(app, pilot, dialog(app))
        await pilot.press("y")  # save
        await settle(app, pilot, dialog(app))
        await pilot.press("y")  # also dismiss the 4 existing matches
        await settle(app, pilot, lambda: app.result != "pending")
    assert isinstance(app.result, sup.SaveResult)
    rule = app.result.rule
    assert rule.author == "alice"
    for alert_id in chosen + past:
        assert status(store, alert_id) == ("Dismissed", rule.id)
    assert status(store, elsewhere[0]) == ("Active", None)
    trail = [(h["action"], h["actor"]) for h in history(store.conn, "suppression_rule", rule.id)]
    assert trail == [("suppression.rule.create", "alice"), ("suppression.dismiss", "alice")]


async def test_warning_shown_and_esc_cancels_without_saving(store: Store) -> None:
    ids = add(store, noise(1, severity=Severity.HIGH), noise(2))
    app = Host(SuppressScreen(store, ids))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot, simulated(app.form))
        summary = str(app.form.query_one("#summary", Label).render())
        assert "would dismiss 1 High-severity alert(s)" in summary
        await pilot.press("ctrl+s")
        await settle(app, pilot, dialog(app))
        dialog_text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "High-severity" in dialog_text
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
    assert app.result is None
    assert sup.list_rules(store) == []
    assert status(store, ids[0]) == ("Active", None)


async def test_hostile_text_is_shown_visible(store: Store) -> None:
    from tests.factories import entity, make_alert
    from tui.model import EntityType

    hostile = make_alert(
        title="[bold red]FAKE[/] \x1b]2;PWNED\x1b\\",
        entities=[entity(EntityType.PROCESS, "x.exe [@click=app.quit]\x1b[6n")],
    )
    ids = add(
        store,
        hostile,
        make_alert(
            title="[/", entities=[entity(EntityType.PROCESS, "x.exe [@click=app.quit]\x1b[6n")]
        ),
    )
    app = Host(SuppressScreen(store, ids))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot, simulated(app.form))
        table = app.form.query_one("#preview", DataTable)
        titles = {str(table.get_row_at(i)[4]) for i in range(table.row_count)}
        assert titles == {"[bold red]FAKE[/] \\e]2;PWNED\\e\\", "[/"}
        cond = str(app.form.query_one("#conditions").get_option_at_index(0).prompt)
        assert "\\e[6n" in cond and "\x1b" not in cond


async def test_edit_a_condition_value_with_the_keyboard(store: Store) -> None:
    ids = add(store, noise(1), noise(2))
    other = add(store, noise(3, host="web02.contoso.com"))
    app = Host(SuppressScreen(store, ids))
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.form
        await settle(app, pilot, simulated(form))
        assert form.simulation.alert_ids == ids
        await pilot.press("e")  # the host condition is highlighted first
        await settle(app, pilot, lambda: isinstance(app.screen, ValueDialog))
        await pilot.press("end", *", web02.contoso.com", "enter")
        await settle(app, pilot, simulated(form))
        host = form.draft().conditions[0]
        assert host.values == ("build01.contoso.com", "web02.contoso.com")
        assert form.simulation.alert_ids == ids + other
