"""`threatdesk import` and `threatdesk quarantine` as an analyst runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ingest.test_bad_input import defender_record
from tui.cli import main


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_prints_a_summary_and_runs_the_engines(tmp_path: Path, capsys) -> None:
    source = _write(tmp_path / "a.jsonl", [json.dumps(defender_record(n)) for n in range(3)])
    assert main(["--db", str(tmp_path / "t.db"), "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert f"{source}: defender" in out
    assert "new 3  updated 0  unchanged 0  rejected 0" in out
    assert "new alerts: 0 suppressed by rules" in out  # the engines saw the new alerts
    assert main(["--db", str(tmp_path / "t.db"), "import", str(source)]) == 0
    assert "new 0  updated 0  unchanged 3  rejected 0" in capsys.readouterr().out


def test_rejected_records_give_exit_status_1_and_are_listed(tmp_path: Path, capsys) -> None:
    bad = json.dumps(defender_record(2, severity="apocalyptic"))
    source = _write(tmp_path / "a.jsonl", [json.dumps(defender_record(1)), bad])
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "import", str(source)]) == 1
    assert "rejected 1" in capsys.readouterr().out
    assert main(["--db", db, "quarantine"]) == 0
    listed = capsys.readouterr().out
    assert f"{source}:2 (byte " in listed
    assert "severity 'apocalyptic' is not a known severity" in listed


def test_a_file_in_no_known_format_gives_exit_status_2(tmp_path: Path, capsys) -> None:
    source = _write(tmp_path / "a.jsonl", ['{"hello": "world"}'])
    assert main(["--db", str(tmp_path / "t.db"), "import", str(source)]) == 2
    err = capsys.readouterr().err
    assert "records are in no known format" in err and "OCSF Detection Finding" in err


def test_quarantine_output_is_escaped(tmp_path: Path, capsys) -> None:
    """A hostile file name or reason never reaches the terminal as control characters."""
    source = _write(tmp_path / "evil\x1b]2;PWNED\x07.jsonl", [json.dumps(defender_record(1)), "{"])
    main(["--db", str(tmp_path / "t.db"), "import", str(source)])
    main(["--db", str(tmp_path / "t.db"), "quarantine"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\e]2;PWNED\\a.jsonl:2" in out
