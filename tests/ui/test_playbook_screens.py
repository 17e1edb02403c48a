"""Pilot tests: trigger a playbook on an incident with the keyboard, refuse in read-only mode, and
retry a failed run from the run log."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, OptionList, Static

from tests.engine.playbook_support import HOSTILE_TITLE, PWNED, add_alert, add_incident, config_from
from tui.config import Config
from tui.engine.playbooks import Target, list_runs
from tui.store import Store
from tui.ui.dialogs import ConfirmDialog
from tui.ui.playbook_picker import PlaybookPicker, playbook_extension
from tui.ui.runs_screen import RunsScreen


class HostApp(App):
    """A tiny app hosting one of the playbook screens and recording notifications."""

    def __init__(self, screen_factory) -> None:
        super().__init__()
        self.screen_factory = screen_factory
        self.notes: list[tuple[str, dict]] = []
        self.dismissed: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.screen_factory(), callback=self.dismissed.append)

    def notify(self, message: str, **kwargs: object) -> None:
        self.notes.append((message, kwargs))
        super().notify(message, **kwargs)


def _config(tmp_path: Path) -> Config:
    ok = tmp_path / "ticket.py"
    ok.write_text(
        "import json, sys\nprint('ticket for', json.load(sys.stdin)['incident']['title'])\n"
    )
    flaky = tmp_path / "flaky.py"
    flaky.write_text(
        "import os, sys\nif os.path.exists('ran'):\n    sys.exit(0)\n"
        "open('ran', 'w')\nsys.exit(4)\n"
    )
    return config_from(
        f'[playbooks.open-ticket]\nkind = "command"\ndescription = "file a ticket"\n'
        f'argv = ["{sys.executable}", "{ok}"]\n'
        f'[playbooks.block-ips]\nkind = "command"\ndescription = "block the attacker"\n'
        f'argv = ["{sys.executable}", "{flaky}"]\ncwd = "{tmp_path}"\n',
        tmp_path,
    )


def _text(app: App, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Text)
    return content.plain


async def _settle(app: App, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_trigger_a_playbook_on_an_incident_with_the_keyboard(
    store: Store, tmp_path: Path
) -> None:
    for path in PWNED:
        path.unlink(missing_ok=True)
    incident = add_incident(store, [add_alert(store, title=HOSTILE_TITLE)], title=HOSTILE_TITLE)
    config = _config(tmp_path)
    app = HostApp(lambda: PlaybookPicker(store, config, Target("incident", incident)))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(2)] == ["open-ticket", "block-ips"]
        await pilot.press(*"tickt")  # fuzzy: a typo still finds it
        await _settle(app, pilot)
        assert options.option_count == 1 and options.highlighted_option.id == "open-ticket"
        preview = _text(app, "#preview")
        assert "[@click=app.quit]x[/]" in preview and "\\r\\nX-Injected" in preview
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await _settle(app, pilot)
        [run] = list_runs(store.conn, "incident", incident)
        assert (run.playbook, run.status, run.trigger) == ("open-ticket", "success", "manual")
        assert "run 1: success, exit 0" in _text(app, "#result")
        message, options_used = app.notes[-1]
        assert message.startswith(f"open-ticket on incident {incident}: success, exit 0")
        assert options_used["markup"] is False
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed == [run]
    assert not any(p.exists() for p in PWNED)


async def test_readonly_picker_previews_but_never_runs(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    config = _config(tmp_path)
    app = HostApp(lambda: PlaybookPicker(store, config, Target("alert", alert_id), readonly=True))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        assert "read-only" in _text(app, "#result")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PlaybookPicker)  # no confirmation, nothing started
        assert "sends to" in _text(app, "#preview")
    assert list_runs(store.conn) == []
    assert any("read-only" in m for m, _ in app.notes)


async def test_the_app_extension_opens_the_picker_for_one_target(
    store: Store, tmp_path: Path
) -> None:
    incident = add_incident(store, [add_alert(store)])
    config = _config(tmp_path)
    app = HostApp(lambda: RunsScreen(store, config))
    app.store, app.readonly = store, True  # what ThreatdeskApp provides
    open_picker = playbook_extension(config)
    async with app.run_test(size=(100, 32)) as pilot:
        open_picker(app, [("alert", 1), ("incident", incident)])
        await pilot.pause()
        assert not isinstance(app.screen, PlaybookPicker)
        assert app.notes[-1][0] == "Choose one alert or incident to respond to."
        open_picker(app, [("incident", incident)])
        await _settle(app, pilot)
        assert isinstance(app.screen, PlaybookPicker)
        assert app.screen.target == Target("incident", incident) and app.screen.readonly


async def test_run_log_shows_failures_and_retries_them(store: Store, tmp_path: Path) -> None:
    from tui.engine.playbooks import run_playbook

    config = _config(tmp_path)
    alert_id = add_alert(store)
    failed = run_playbook(store, config, "block-ips", Target("alert", alert_id), "carol")
    assert failed.status == "failed"
    app = HostApp(lambda: RunsScreen(store, config, Target("alert", alert_id)))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert "failed, exit 4" in _text(app, "#run-detail")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await _settle(app, pilot)
        await _settle(app, pilot)  # the reload after the retry
        assert table.row_count == 2
        assert "success" in _text(app, "#run-detail")
        assert any("retry of run 1" in m and o["markup"] is False for m, o in app.notes)
    newest = list_runs(store.conn, "alert", alert_id)[0]
    assert (newest.retry_of, newest.status) == (failed.id, "success")
