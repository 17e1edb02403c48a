"""Pilot tests: drive the alerts screen with keys, check what is shown and what is stored."""

from __future__ import annotations

import pytest
from rich.text import Text

from tests.factories import entity, make_alert
from tests.ui.pilot import alert_list, loaded, until, visible_lines
from tui.config import Config
from tui.ingest.pipeline import import_paths
from tui.model import Classification, Severity, Status
from tui.store import Store
from tui.store.alerts import upsert_alerts
from tui.store.audit import history
from tui.ui.app import ThreatdeskApp
from tui.ui.detail_screen import AlertDetailScreen
from tui.ui.help_screen import HelpScreen

SIZE = (100, 30)
TITLES = ["Credential dumping with mimikatz", "Suspicious PowerShell", "Port scan"]


def seed(store: Store, n: int = 60) -> None:
    sevs = ["High", "Medium", "Low", "Informational"]
    upsert_alerts(
        store.conn,
        [
            make_alert(
                title=f"{TITLES[i % 3]} {i}",
                severity=sevs[i % 4],
                minutes=n - i,  # alert id 1 is the newest
                resource_id=f"/subs/1/vm/host-{i % 5}",
                alert_type=f"VM_Type{i % 3}",
                product_name="Defender" if i % 2 else "Sentinel",
                entities=[entity("host", f"host-{i % 5}")],
            )
            for i in range(n)
        ],
    )


def status_of(store: Store, alert_id: int) -> tuple[str, str, str, int]:
    return store.conn.execute(
        "SELECT status, classification, classification_comment, version FROM alerts WHERE id = ?",
        (alert_id,),
    ).fetchone()


async def test_navigation(store: Store) -> None:
    seed(store)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        listing = await loaded(pilot, 60)
        assert visible_lines(pilot)[0].startswith("  HIGH    Credential dumping with mimikatz 0")
        await pilot.press("j", "j", "down")
        assert listing.current_key == 4
        await pilot.press("k", "up")
        assert listing.current_key == 2
        await pilot.press("G")
        assert listing.current_key == 60
        assert any("Port scan 59" in line for line in visible_lines(pilot))
        await pilot.press("g", "pagedown")
        page = listing.scrollable_content_region.height
        assert listing.cursor == page and listing.scroll_offset.y == page
        await until(pilot, lambda: listing.current_row is not None)
        assert f" {page}" in visible_lines(pilot)[0]  # the page below is drawn
        await pilot.press("pageup")
        assert listing.cursor == 0


@pytest.mark.parametrize(
    ("keys", "expect_count", "check"),
    [
        (["1"], 15, lambda r: r.severity is Severity.HIGH),
        (["2"], 30, lambda r: r.severity.rank >= 2),
        (["3"], 45, lambda r: r.severity.rank >= 1),
        ([":", *"sev low", "enter"], 15, lambda r: r.severity is Severity.LOW),
        ([":", *"res host-3", "enter"], 12, lambda r: r.resource == "host-3"),
        ([":", *"type VM_Type1", "enter"], 20, lambda r: r.title.startswith("Suspicious")),
        ([":", *"product Sentinel", "enter"], 30, lambda r: int(r.title.split()[-1]) % 2 == 0),
        ([":", *"until 2024-06-01T12:10", "enter"], 9, lambda r: int(r.title.split()[-1]) > 50),
    ],
)
async def test_each_filter(store: Store, keys: list[str], expect_count: int, check) -> None:
    seed(store)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, 60)
        await pilot.press(*keys)
        listing = await loaded(pilot, expect_count)
        shown = listing.cached_rows(listing.keys)
        assert shown and all(check(r) for r in shown)
        screen = pilot.app.screen
        await until(
            pilot, lambda: screen.counts is not None and screen.counts.total == expect_count
        )
        assert "filter: none" not in str(screen.query_one("#summary").render())
        await pilot.press("escape")
        await loaded(pilot, 60)


async def test_status_window_incidents_and_sort_quick_keys(store: Store) -> None:
    seed(store, 8)
    from tui.engine.triage import set_status

    set_status(
        store,
        ("alert", 2),
        Status.RESOLVED,
        expected_version=1,
        classification=Classification.FALSE_POSITIVE,
    )
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, 8)
        await pilot.press("u")  # unresolved only
        listing = await loaded(pilot, 7)
        assert 2 not in listing.keys
        await pilot.press("u", "o")  # all statuses, by severity
        listing = await loaded(pilot, 8)
        assert [r.severity.rank for r in listing.cached_rows(listing.keys)] == [
            3,
            3,
            2,
            2,
            1,
            1,
            0,
            0,
        ]
        await pilot.press("w")  # last 24 hours: the factory's alerts are from 2024
        await loaded(pilot, 0)
        assert "No alerts match this filter" in visible_lines(pilot)[0]
        await pilot.press("escape", "i")  # incidents only: none yet
        await loaded(pilot, 0)


async def test_search_with_a_typo(store: Store) -> None:
    seed(store)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, 60)
        await pilot.press("slash", *"mimkatz")
        listing = await loaded(pilot, 20)
        assert all("mimikatz" in r.title for r in listing.cached_rows(listing.keys))
        await pilot.press("enter")
        assert listing.has_focus and len(listing.keys) == 20
        await pilot.press("escape")
        await loaded(pilot, 60)


async def test_details_of_a_real_sample(store: Store, real_dir) -> None:
    import_paths(
        store,
        [real_dir / "azure-rest-api-specs-security-alerts" / "GetAlertsSubscription_example.json"],
    )
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, 2)
        await pilot.press("enter")
        screen = pilot.app.screen
        assert isinstance(screen, AlertDetailScreen)
        await until(pilot, lambda: screen.detail is not None)
        text = screen.query_one("#detail").render()
        plain = str(text)
        for expected in (
            "Azure Security Center test alert (not a threat)",
            "This is a test alert generated by Azure Security Center",
            "Resource id: /subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23",
            "IP addresses",
            "192.0.2.1",
            "Tactics: Execution",
            "T1059.001",
            "Remediation steps",
            "Property1: Property1 information",
            "https://contoso.com/reports/DisplayReport",
            "Not part of an incident",
            "Related alerts sharing an entity (1)",
            "Suspicious Screensaver process executed",
            "Threat intelligence report (p)",
        ):
            assert expected in plain, expected
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, AlertDetailScreen)


async def test_close_with_classification_writes_store_and_audit(store: Store) -> None:
    seed(store, 3)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, 3)
        await pilot.press("e", "3")  # Resolved
        await pilot.press("2", *"known admin tool", "enter")  # benign positive + comment
        await until(pilot, lambda: status_of(store, 1)[0] == "Resolved")
        assert status_of(store, 1) == ("Resolved", "BenignPositive", "known admin tool", 2)
        audit = history(store.conn, "alert", 1)
        assert audit[-1]["after"]["classification"] == "BenignPositive"
        listing = alert_list(pilot)
        await until(pilot, lambda: "Resolved" in visible_lines(pilot)[0])
        assert listing.current_key == 1  # the cursor stayed on the row


async def test_bulk_action_on_marked_rows(store: Store) -> None:
    seed(store, 5)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        listing = await loaded(pilot, 5)
        await pilot.press("space", "j", "space")  # marks rows 1 and 3
        assert set(listing.marked) == {1, 3}
        await pilot.press("e", "2", "y")  # In progress, confirm for 2 rows
        await until(pilot, lambda: status_of(store, 3)[0] == "InProgress")
        assert [status_of(store, i)[0] for i in (1, 2, 3)] == ["InProgress", "Active", "InProgress"]
        await until(pilot, lambda: not listing.marked)
        await pilot.press("a")  # assign to me: the cursor row now
        key = listing.current_key
        await until(
            pilot,
            lambda: (
                store.conn.execute("SELECT owner FROM alerts WHERE id = ?", (key,)).fetchone()[0]
                == pilot.app.user
            ),
        )


async def test_readonly_hides_every_change(store: Store) -> None:
    seed(store, 3)
    async with ThreatdeskApp(store, readonly=True).run_test(size=SIZE) as pilot:
        await loaded(pilot, 3)
        actions = {a.binding.action for a in pilot.app.screen.active_bindings.values()}
        assert {"status", "assign_me", "comment"}.isdisjoint(actions)
        assert "open" in actions and "search" in actions
        await pilot.press("e", "3", "a")
        await pilot.pause(0.2)
        assert status_of(store, 1) == ("Active", "", "", 1)
        assert "READ-ONLY" in str(pilot.app.screen.query_one("#summary").render())
        commands = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert "Search" in commands and "Status" not in commands


async def test_live_update_from_a_second_connection(store: Store) -> None:
    seed(store, 5)
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        listing = await loaded(pilot, 5)
        await pilot.press("1")  # a filter that must survive the refresh
        await loaded(pilot, 2)
        await pilot.press("j")
        assert listing.current_key == 5
        other = Store(store.path)  # another process's connection
        upsert_alerts(
            other.conn, [make_alert(title="Fresh from the importer", severity="High", minutes=99)]
        )
        await until(pilot, lambda: len(listing.keys) == 3, timeout=2.5)
        assert listing.current_key == 5 and pilot.app.screen.filter.severities == {Severity.HIGH}
        await until(pilot, lambda: "Fresh from the importer" in visible_lines(pilot)[0])
        other.close()


HOSTILE = [
    "[@click=app.quit]x[/]",
    "[/x]",
    "\x1b]52;c;cHduZWQ=\x07 clipboard",
    "\x1b[c\x1b[>0q\x1b[6n query",
    "invoice\u202efdp.exe",
    "[bold red on white]FAKE-CRITICAL[/]",
]


async def test_hostile_titles_render_as_text_and_fire_nothing(store: Store) -> None:
    upsert_alerts(store.conn, [make_alert(title=t, minutes=-i) for i, t in enumerate(HOSTILE)])
    async with ThreatdeskApp(store).run_test(size=SIZE) as pilot:
        await loaded(pilot, len(HOSTILE))
        lines = visible_lines(pilot)
        assert "[@click=app.quit]x[/]" in lines[0]
        assert "[/x]" in lines[1]
        assert "\\e]52;c;cHduZWQ=\\a clipboard" in lines[2]
        assert "\\e[c\\e[>0q\\e[6n query" in lines[3]
        assert "invoice\\u202efdp.exe" in lines[4]
        assert "[bold red on white]FAKE-CRITICAL[/]" in lines[5]
        listing = alert_list(pilot)
        strips = [listing.render_line(y) for y in range(6)]
        assert not any("\x1b" in s.text or "\u202e" in s.text for s in strips)
        await pilot.click(listing, offset=(15, 0))
        await pilot.press("enter")  # details of the [@click=app.quit] alert
        screen = pilot.app.screen
        await until(pilot, lambda: getattr(screen, "detail", None) is not None)
        assert "[@click=app.quit]x[/]" in str(screen.query_one("#detail").render())
        await pilot.click(screen.query_one("#detail"), offset=(12, 0))
        await pilot.pause(0.1)
        assert pilot.app.is_running and pilot.app.return_code is None
        assert status_of(store, 1)[0] == "Active"


async def test_help_is_built_from_live_bindings_and_keys_remap(store: Store) -> None:
    seed(store, 3)
    config = Config(data={"keys": {"triage.status": "x", "list.down": "n"}})
    app = ThreatdeskApp(store, config=config)
    del app.extensions["suppress"]
    async with app.run_test(size=SIZE) as pilot:
        listing = await loaded(pilot, 3)
        await pilot.press("n")
        assert listing.cursor == 1
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        help_text = str(pilot.app.screen.query_one("#help-text").render())
        assert "x" in help_text and "triage.status" in help_text and "Status" in help_text
        assert "triage.suppress" not in help_text  # no handler registered: no dead key
        await pilot.press("escape", "x", "escape")  # the remapped key opens the status dialog
        assert status_of(store, 2)[0] == "Active"


async def test_other_parts_actions_appear_when_registered(store: Store) -> None:
    seed(store, 2)
    app = ThreatdeskApp(store)
    del app.extensions["report"]
    seen: list = []
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, 2)
        assert "report" not in {a.binding.action for a in app.screen.active_bindings.values()}
        app.register_extension("report", lambda _app, targets: seen.append(targets))
        await pilot.press("p")
        assert seen == [[("alert", 1)]]


def test_detail_text_is_never_markup() -> None:
    from tui.ui.detail_view import DetailText

    out = DetailText()
    out.field("Title", "[@click=app.quit]x[/] \x1b[2J")
    assert isinstance(out.text, Text)
    assert out.text.plain == "Title: [@click=app.quit]x[/] \\e[2J\n"
    assert not out.text.spans[1:]  # only the label is styled


async def test_colon_q_quits(store: Store) -> None:
    seed(store, 2)
    app = ThreatdeskApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, 2)
        await pilot.press("colon", "q", "enter")
        await until(pilot, lambda: not app.is_running or app.return_code is not None)
