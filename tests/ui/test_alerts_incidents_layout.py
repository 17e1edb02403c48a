"""Incidents in the list, the 80x24 layout, and another analyst's change showing up live."""

from __future__ import annotations

from tests.factories import make_alert
from tests.ui.pilot import loaded, until, visible_lines
from tests.ui.test_alert_list_queries import _add_incident
from tui.engine.triage import set_status
from tui.model import Classification, Status
from tui.store import Store
from tui.store.alerts import upsert_alerts
from tui.ui.app import ThreatdeskApp


def _seed_with_incident(store: Store) -> int:
    upsert_alerts(
        store.conn,
        [make_alert(title=f"Stage {i}", severity="High", minutes=10 - i) for i in range(4)]
        + [make_alert(title="Lonely alert", severity="Low", minutes=1)],
    )
    return _add_incident(store, [1, 2, 3], "2024-06-01T12:09:00.000000Z")


async def test_incident_row_expands_in_place(store: Store) -> None:
    inc = _seed_with_incident(store)
    app = ThreatdeskApp(store)
    app.extensions.pop("open_incident", None)  # enter expands when no incident screen is wired
    async with app.run_test(size=(100, 30)) as pilot:
        listing = await loaded(pilot, 3)  # the incident, alert 4, the lonely alert
        first = visible_lines(pilot)[0]
        assert f"▸ INC-{inc} (3) Multi-stage attack" in first
        await pilot.press("l")
        listing = await loaded(pilot, 6)
        lines = visible_lines(pilot)
        assert f"▾ INC-{inc}" in lines[0]
        assert [line.split("└ ")[1].split()[:2] for line in lines[1:4]] == [
            ["Stage", "0"],
            ["Stage", "1"],
            ["Stage", "2"],
        ]
        await pilot.press("j", "j", "h")  # collapse from a member row
        await loaded(pilot, 3)
        assert listing.current_key == -inc
        await pilot.press("enter")
        await loaded(pilot, 6)


async def test_fits_80x24(store: Store) -> None:
    _seed_with_incident(store)
    async with ThreatdeskApp(store).run_test(size=(80, 24)) as pilot:
        await loaded(pilot, 3)
        screen = pilot.app.screen
        await until(pilot, lambda: screen.counts is not None)
        lines = visible_lines(pilot)
        assert all(len(line) <= 80 for line in lines)
        assert "STATUS" in str(screen.query_one("#columns").render())
        assert lines[0].rstrip().endswith("Active")  # the status column is not cut off
        summary = str(screen.query_one("#summary").render()).splitlines()
        assert all(len(line) <= 80 for line in summary) and "HIGH 2" in summary[0]


async def test_another_analysts_status_change_appears(store: Store) -> None:
    _seed_with_incident(store)
    async with ThreatdeskApp(store).run_test(size=(100, 30)) as pilot:
        listing = await loaded(pilot, 3)
        await pilot.press("space", "j")  # mark the incident; the cursor ends on alert 5
        other = Store(store.path)
        set_status(
            other,
            ("alert", 5),
            Status.DISMISSED,
            expected_version=1,
            classification=Classification.FALSE_POSITIVE,
            actor="bob",
        )
        await until(pilot, lambda: "Dismissed" in visible_lines(pilot)[2], timeout=2.5)
        assert listing.current_key == 5 and set(listing.marked) == {listing.keys[0]}
        other.close()


async def test_command_palette_runs_actions_by_name(store: Store) -> None:
    _seed_with_incident(store)
    async with ThreatdeskApp(store).run_test(size=(100, 30)) as pilot:
        await loaded(pilot, 3)
        await pilot.press("ctrl+p")
        await pilot.press(*"severity high")
        await pilot.pause(0.5)
        await pilot.press("enter")
        listing = await loaded(pilot, 2)  # the High incident and High alert 4
        assert [r.severity.value for r in listing.cached_rows(listing.keys)] == ["High", "High"]
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert titles.count("Quit") == 1 and "Status" in titles


async def test_new_alerts_arrive_above_a_cursor_at_the_top(store: Store) -> None:
    upsert_alerts(store.conn, [make_alert(title=f"Old {i}", minutes=-i) for i in range(80)])
    async with ThreatdeskApp(store).run_test(size=(100, 30)) as pilot:
        listing = await loaded(pilot, 80)
        await pilot.press("j")
        watched = listing.current_key
        other = Store(store.path)
        upsert_alerts(other.conn, [make_alert(title="Brand new", minutes=60)])
        await until(pilot, lambda: "Brand new" in visible_lines(pilot)[0], timeout=2.5)
        assert listing.current_key == watched and listing.cursor == 2
        other.close()


async def test_command_bar_goes_to_an_incident(store: Store) -> None:
    inc = _seed_with_incident(store)
    upsert_alerts(store.conn, [make_alert(title=f"Newer {i}", minutes=30 + i) for i in range(40)])
    app = ThreatdeskApp(store)
    app.extensions.pop("open_incident", None)
    async with app.run_test(size=(100, 30)) as pilot:
        listing = await loaded(pilot, 43)
        await pilot.press("colon", *f"inc {inc}", "enter")
        await loaded(pilot, 46)  # expanded in place
        assert listing.current_key == -inc and -inc in listing.expanded
        await pilot.press("colon", *"inc 999", "enter")
        await pilot.pause(0.1)
        assert listing.current_key == -inc  # an unknown incident moves nothing
