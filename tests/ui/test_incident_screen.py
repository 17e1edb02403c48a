"""Pilot tests: the incident screen's panes, tabs, triage and membership edits."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from tests.factories import entity, make_alert
from tests.scenarios import seed_incident
from tests.ui.pilot import until
from tui.engine import correlation, triage
from tui.model import Status
from tui.store import Store
from tui.store.alerts import upsert_alerts
from tui.store.audit import history
from tui.store.incidents import alerts_of_incident, get_incident, incident_of_alert
from tui.ui.app import ThreatdeskApp
from tui.ui.detail_screen import AlertDetailScreen
from tui.ui.incident_screen import IncidentScreen
from tui.ui.pivot_screen import PivotScreen

SIZE = (120, 40)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_incident(pilot, incident: int) -> IncidentScreen:
    pilot.app.open_incident(incident)
    await until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen))
    screen = pilot.app.screen
    await until(pilot, lambda: screen.loaded is not None)
    return screen


@pytest.fixture
def incident(store: Store) -> int:
    return seed_incident(store)


async def test_left_pane_tabs_and_take_action(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        screen = await open_incident(pilot, incident)
        info = text_of(screen, "#incident-info")
        for expected in (
            "vm-web-01",
            "tag environment: prod",
            "tag owner: web-team",
            "Status: Active",
            "Why these alerts are together",
            "First:",
        ):
            assert expected in info
        table = screen.query_one("#incident-alerts", DataTable)
        assert table.row_count == 3
        assert "RDP brute force" in str(table.get_row_at(0)[4])

        await pilot.press("2")  # Take action: Mitigate the threat is first
        assert screen.query_one(TabbedContent).active == "tab-action"
        body = text_of(screen, "#action-body")
        assert "Isolate vm-web-01 and reset the password of alice@contoso.com." in body
        await pilot.press("j")  # Prevent future attacks (loads ATT&CK data in a worker)
        await until(pilot, lambda: screen.prevention is not None, timeout=30)
        body = text_of(screen, "#action-body")
        assert "M1032" in body and "TD-H01" in body
        await pilot.press("j")
        assert "Runs on this incident" in text_of(screen, "#action-body")
        await pilot.press("j")
        assert "VM_CredentialDumping" in text_of(screen, "#action-body")

        await pilot.press("3")
        timeline = text_of(screen, "#timeline")
        assert timeline.index("Pre attack") < timeline.index("Initial access")
        assert "Credential access" in timeline


async def test_enter_opens_alert_details(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await open_incident(pilot, incident)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, AlertDetailScreen))


async def test_status_change_cascades_when_confirmed(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await open_incident(pilot, incident)
        await pilot.press("e", "2")  # status: In progress
        await pilot.press("y")  # also the alerts
        await until(pilot, lambda: get_incident(store.conn, incident)["status"] == "InProgress")
        alerts = alerts_of_incident(store.conn, incident)
        await until(
            pilot,
            lambda: all(
                a["status"] == "InProgress" for a in alerts_of_incident(store.conn, incident)
            ),
        )
        assert history(store.conn, "alert", alerts[0]["id"])[-1]["action"] == "status (cascade)"


async def test_remove_and_split_are_recorded(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        screen = await open_incident(pilot, incident)
        first = screen.loaded.detail.alerts[0]["id"]
        await pilot.press("x", "y")
        await until(pilot, lambda: incident_of_alert(store.conn, first) is None)
        assert history(store.conn, "incident", incident)[-1]["action"] == "incident.remove_alert"
        correlation.rebuild(store)  # the analyst's removal survives a rebuild
        assert incident_of_alert(store.conn, first) is None


async def test_merge_from_the_keyboard(store: Store, incident: int) -> None:
    other_ids = upsert_alerts(
        store.conn,
        [
            make_alert(
                title=f"Key Vault {kind}",
                alert_type=f"KV_{kind}",
                minutes=60 * 24 * 60 + m,
                entities=[entity("ip", "203.0.113.9")],
            )
            for m, kind in ((0, "ListSecrets"), (5, "GetSecret"))
        ],
    ).new_ids
    correlation.correlate_new(store, other_ids)
    other = incident_of_alert(store.conn, other_ids[0])
    assert other is not None and other != incident
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await open_incident(pilot, incident)
        await pilot.press("M", *str(other), "enter")
        await until(pilot, lambda: incident_of_alert(store.conn, other_ids[0]) == incident)
        assert get_incident(store.conn, other) is None


async def test_concurrent_edit_is_detected(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        screen = await open_incident(pilot, incident)
        seen = screen.loaded.detail.fields["version"]
        # A second analyst, on another connection, assigns the incident first.
        other = Store(store.path)
        triage.assign(other, ("incident", incident), "bob", expected_version=seen, actor="bob")
        screen.loaded.detail.fields["version"] = seen  # the screen still shows the old version
        await pilot.press("e", "2", "n")
        await until(
            pilot, lambda: any("changed by bob" in str(n.message) for n in pilot.app._notifications)
        )
        assert get_incident(store.conn, incident)["status"] == Status.ACTIVE.value
        other.close()


async def test_pivot_lists_alerts_sharing_an_entity(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await open_incident(pilot, incident)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(pilot.app.screen, PivotScreen))
        found = pilot.app.screen.query_one("#pivot-found")
        await until(pilot, lambda: found.option_count >= 4)  # 1 incident + 3 alerts
        assert str(found.get_option_at_index(0).prompt).startswith("◆ INC-")


async def test_readonly_hides_membership_and_triage_keys(store: Store, incident: int) -> None:
    async with ThreatdeskApp(store, readonly=True).run_test(size=SIZE) as pilot:
        screen = await open_incident(pilot, incident)
        for action in ("status", "remove_alert", "merge", "split", "assign_to"):
            assert screen.check_action(action, ()) is False
        await pilot.press("x")
        assert isinstance(pilot.app.screen, IncidentScreen)  # no confirmation opened


def test_timeline_offsets_are_from_the_first_alert(store: Store, incident: int) -> None:
    from tui.store.incident_detail import incident_detail
    from tui.ui.incident_view import timeline

    text = timeline(incident_detail(store.conn, incident)).plain
    assert "▶ Pre attack  first seen +0 min" in text
    assert "▶ Initial access  first seen +30 min" in text
    assert "▶ Credential access  first seen +1.5 h" in text
