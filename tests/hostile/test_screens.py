"""Every screen on a database of hostile alerts, driven with Pilot: text is drawn as visible
escapes, no segment is a link or a click action from data, nothing fires and the app keeps
running (SECURITY.md cases 1-13)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot

from tests.data.hostile import make_corpus
from tests.data.hostile.make_corpus import FILES, HERE
from tests.engine.playbook_support import config_from
from tests.hostile.screen_text import drawn
from tests.ui.pilot import until
from tui.engine import correlation, suppression
from tui.engine.playbooks import Target, run_playbook
from tui.engine.suppression_rule import Condition, Op, Rule
from tui.ingest.pipeline import import_paths
from tui.model.text import visible
from tui.store import Store
from tui.ui.app import ThreatdeskApp
from tui.ui.detail_screen import AlertDetailScreen
from tui.ui.help_screen import HelpScreen
from tui.ui.incident_screen import IncidentScreen
from tui.ui.pivot_screen import PivotScreen
from tui.ui.playbook_picker import PlaybookPicker
from tui.ui.report_dialog import ReportDialog
from tui.ui.rules_screen import RulePage, RulesScreen
from tui.ui.runs_screen import RunsScreen
from tui.ui.suppress_form import SuppressScreen

SIZE = (120, 40)
SHOWN = {  # corpus value -> how a detail screen must show it
    "osc52": "\\e]52;c;cHduZWQ=\\a",
    "queries": "\\e[c\\e[>0q\\e[6n\\e[5n",
    "c1": "\\x9b2J",
    "overwrite": "real-cmd\\rFAKE",
    "bidi": "invoice\\u202efdp.exe",
    "markup_click": "[@click=app.quit]x[/]",
    "markup_close": "/home/bob/[/]evil.sh [/x] [/",
    "markup_link": "[link=file:///etc/passwd]bob[/link]",
    "markup_var": "[$var] [$accent]v[/]",
    "markup_text": "C:\\dir\\[x] \\[escaped]",
    "markdown": "[click](https://evil.example)",
}
# Prints the alert's title raw, so the run log holds terminal control characters.
ECHO = 'import json, sys; print(json.load(sys.stdin)["properties"]["alertDisplayName"])'


def _state(store: Store) -> tuple:
    conn = store.conn
    return (
        conn.execute("SELECT id, status, owner, version FROM alerts ORDER BY id").fetchall(),
        conn.execute("SELECT id, status, version FROM incidents ORDER BY id").fetchall(),
        conn.execute("SELECT count(*) FROM playbook_runs").fetchone(),
        conn.execute("SELECT id, version FROM suppression_rules").fetchall(),
    )


def _alert_id(store: Store, name: str) -> int:
    sid = make_corpus.source_id("defender", name)
    return store.conn.execute("SELECT id FROM alerts WHERE source_id = ?", (sid,)).fetchone()[0]


@pytest.fixture
def hostile(store: Store, tmp_path: Path):
    """The corpus, its incidents, a rule and a playbook run made of hostile text."""
    import_paths(store, [HERE / name for name in FILES])
    correlation.rebuild(store)
    value = make_corpus.HOSTILE["osc52"] + make_corpus.HOSTILE["markup_click"]
    rule = Rule(
        "hostile-rule",
        comment=value,
        # values are written in their visible form (the rule refuses raw controls)
        conditions=(Condition("entities.process.commandline", Op.SIMILAR, text=visible(value)),),
    )
    suppression.save_rule(store, rule, apply_existing=False, actor="analyst")
    config = config_from(
        f'[playbooks.echo]\nkind = "command"\nargv = ["{sys.executable}", "-c", \'{ECHO}\']\n',
        tmp_path,
    )
    run = run_playbook(store, config, "echo", Target("alert", _alert_id(store, "osc52")), "al")
    assert "\x1b]52" in run.output  # the run log holds the hostile alert as it was echoed
    return store, config


async def _open(pilot: Pilot, kind: type, ready=lambda screen: True) -> str:
    await until(pilot, lambda: isinstance(pilot.app.screen, kind) and ready(pilot.app.screen))
    await pilot.pause(0.1)
    return drawn(pilot.app)


@pytest.mark.slow
async def test_every_screen_draws_hostile_text_inert(hostile) -> None:
    store, config = hostile
    before = _state(store)
    app = ThreatdeskApp(store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "INC-" in drawn(app), timeout=10)
        for name, shown in SHOWN.items():
            app.open_alert(_alert_id(store, name))
            text = await _open(pilot, AlertDetailScreen, lambda s: s.detail is not None)
            assert shown in text.replace("\n", ""), name
            await pilot.press("escape")

        app.open_incident(1)
        await _open(pilot, IncidentScreen, lambda s: s.loaded is not None)
        for key in ("2", "j", "j", "j", "3", "4", "1"):
            await pilot.press(key)
            await pilot.pause(0.2)
            drawn(app)
        await pilot.press("v")
        await _open(pilot, PivotScreen)
        await pilot.press("escape", "escape")

        for key, kind in (("s", SuppressScreen), ("t", PlaybookPicker), ("p", ReportDialog)):
            await until(pilot, lambda: not isinstance(app.screen, (SuppressScreen, PlaybookPicker)))
            await pilot.press(key)
            await _open(pilot, kind)
            await pilot.pause(1.0)  # previews and simulations load in workers
            drawn(app)
            await pilot.press("escape")

        await pilot.press("question_mark")
        await _open(pilot, HelpScreen)
        await pilot.press("escape")
        await pilot.press("slash", *"[@click=app.quit]x[/]", "enter")
        await pilot.pause(0.5)
        drawn(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await _open(pilot, CommandPalette)
        await pilot.press(*"[/x] [link=file:///etc/passwd]q")
        await pilot.pause(0.5)
        drawn(app)
        await pilot.press("escape")

        app.push_screen(RulesScreen(store))
        text = await _open(pilot, RulesScreen)
        assert "hostile-rule" in text
        await pilot.press("enter")
        text = await _open(pilot, RulePage)
        assert "\\e]52;c;cHduZWQ=\\a" in text.replace("\n", "")
        await pilot.press("escape", "escape")
        app.push_screen(RunsScreen(store, config))
        text = await _open(pilot, RunsScreen)
        await pilot.pause(0.5)
        drawn(app)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.is_running and app.return_code is None
    assert _state(store) == before
