"""The real console in a pseudo-terminal, on a database of hostile alerts: the bytes it writes
carry no escape sequence from alert data, the escaped forms are on screen, no binding fires,
and the app quits normally (SECURITY.md cases 1-12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.hostile.make_corpus import FILES, HERE
from tests.hostile.pty_app import PtyApp
from tests.hostile.terminal_bytes import foreign_sequences, raw_controls, screen_text
from tui.engine import correlation
from tui.ingest.pipeline import import_paths
from tui.store import Store

ENTER, ESCAPE, CTRL_P = "\r", "\x1b", "\x10"
SHOWN_ESCAPED = [
    "\\e]52;c;cHduZWQ=\\a",
    "\\e]0;PWNED\\a",
    "\\e]8;;file:///etc/passwd\\e\\click",
    "\\e[c\\e[>0q\\e[6n\\e[5n",
    "A\\e[31mRED\\e[2J\\e[H",
    "\\x9b2J",
    "real-cmd\\rFAKE",
    "nightly.exe\\0 & mimikatz.exe",
    "invoice\\u202efdp.exe",
    "[@click=app.quit]x[/]",
    "[bold red on white]FAKE-CRITICAL[/]",
    "[link=file:///etc/passwd]bob[/link]",
    "/home/bob/[/]evil.sh [/x] [/",
]


def _state(db: Path) -> tuple:
    store = Store(db)
    try:
        conn = store.conn
        return (
            # opening the Take action tab loads the knowledge base once: not an analyst action
            conn.execute(
                "SELECT action, count(*) FROM audit_log WHERE action != 'intel.load' GROUP BY 1"
            ).fetchall(),
            conn.execute("SELECT id, status, owner, version FROM alerts ORDER BY id").fetchall(),
            conn.execute("SELECT id, status, version FROM incidents ORDER BY id").fetchall(),
            conn.execute("SELECT count(*) FROM playbook_runs").fetchone(),
            conn.execute("SELECT count(*) FROM suppression_rules").fetchone(),
        )
    finally:
        store.close()


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    db = tmp_path / "hostile.db"
    store = Store(db)
    import_paths(store, [HERE / name for name in FILES])
    assert correlation.rebuild(store).created >= 1
    store.close()
    return db


def _tour(app: PtyApp) -> None:
    """Open every row, an incident's tabs and a pivot, search, the palette and help; quit."""
    app.wait_for(b"INC-")
    app.read_for(1.0)
    for _row in range(30):
        app.send(ENTER, until=b"Status: ")
        app.send(ESCAPE, until=b"TITLE")
        app.send("j")
    app.send("g", ENTER, until=b"Why these alerts")
    app.send("2", "j", "j", "j", "3", "4", "1", pause=1.0)
    app.send("v", pause=1.0)
    app.send(ESCAPE, pause=0.5)
    app.send(ESCAPE, until=b"TITLE")
    app.send("/", *"[@click=app.quit]x[/] [/", ENTER, pause=1.0)
    app.send(ESCAPE, pause=1.0)
    app.send(CTRL_P, *"[/x] [link=file:///etc/passwd]", pause=1.0)
    app.send(ESCAPE, pause=0.5)
    app.send("?", until=b"triage.status")
    app.send(ESCAPE, until=b"TITLE")
    app.send("q")


@pytest.mark.slow
def test_console_writes_no_sequence_from_alert_data(hostile_db: Path, tmp_path: Path) -> None:
    before = _state(hostile_db)
    app = PtyApp(hostile_db, tmp_path)
    try:
        _tour(app)
    finally:
        status = app.close()
    output = bytes(app.output)
    assert status == 0, output[-2000:]
    assert foreign_sequences(output) == []
    assert raw_controls(output) == []
    text = screen_text(output)
    assert [needle for needle in SHOWN_ESCAPED if needle not in text] == []
    assert _state(hostile_db) == before  # nothing fired: no triage, run, rule or audit row
