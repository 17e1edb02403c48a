"""`threatdesk demo`: builds, summarises, rebuilds from scratch, never touches a real database."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from tui.cli import main
from tui.commands.demo import demo_db_path
from tui.store import Store
from tui.store.resources import count_resources


def _counts(path: Path) -> tuple[int, int]:
    store = Store(path)
    try:
        alerts = store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
        return alerts, count_resources(store.conn)
    finally:
        store.close()


def test_demo_builds_and_rebuilds_from_scratch(tmp_path: Path, capsys) -> None:
    db = tmp_path / "demo.db"

    assert main(["demo", "--db", str(db), "--alerts", "300", "--no-open"]) == 0
    out = capsys.readouterr().out
    assert f"demo database {db}" in out and "alerts            300" in out
    assert (tmp_path / "demo-files" / "truth.jsonl").exists()
    first = _counts(db)
    assert first[0] == 300 and first[1] > 0

    assert main(["demo", "--db", str(db), "--alerts", "120", "--seed", "2", "--no-open"]) == 0
    assert _counts(db)[0] == 120  # rebuilt, not added to


def test_demo_refuses_a_database_that_is_not_a_demo(tmp_path: Path, capsys) -> None:
    real = tmp_path / "threatdesk.db"
    Store(real).close()

    assert main(["--db", str(real), "demo", "--alerts", "10", "--no-open"]) == 2

    assert "is not a demo database" in capsys.readouterr().err
    assert real.exists() and _counts(real) == (0, 0)


def test_default_path_is_the_demo_database_not_the_analysts(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("THREATDESK_DB", str(tmp_path / "analyst.db"))
    args = argparse.Namespace(db=None, demo_db=None)
    assert demo_db_path(args).name == "demo.db"
    args.db = tmp_path / "chosen.db"
    assert demo_db_path(args) == tmp_path / "chosen.db"


def test_demo_rebuilds_its_database_from_an_older_schema(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--alerts", "20", "--no-open"]) == 0
    with sqlite3.connect(db) as conn:  # as if written before the latest migration
        conn.execute("PRAGMA user_version = 1")

    assert main(["demo", "--db", str(db), "--alerts", "30", "--no-open"]) == 0

    assert _counts(db)[0] == 30
