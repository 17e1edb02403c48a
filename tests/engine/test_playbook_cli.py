"""`threatdesk playbooks list|run|runs|retry|show` end to end through the CLI entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.engine.playbook_support import HOSTILE_TITLE, add_alert, add_incident
from tui.cli import main
from tui.store import Store


@pytest.fixture
def setup(store: Store, tmp_path: Path) -> tuple[list[str], int]:
    script = tmp_path / "echo.py"
    script.write_text("import sys, json\nprint(json.load(sys.stdin)['incident']['title'])\n")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[playbooks.echo]\nkind = "command"\nargv = ["{sys.executable}", "{script}"]\n'
        'description = "print the incident title"\n'
        '[playbooks.hook]\nkind = "webhook"\nurl = "https://tickets.example/api"\n'
    )
    incident = add_incident(store, [add_alert(store)], title=HOSTILE_TITLE)
    return ["--db", str(store.path), "--config", str(config)], incident


def test_list_prints_one_playbook_a_line_name_first(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*setup[0], "playbooks", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["echo", "hook"]
    assert lines[1].split("\t")[1:3] == ["webhook", "POST https://tickets.example/api"]


def test_rules_prints_each_automation_rule(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        config.read_text() + '[[automation]]\nname = "hi"\nplaybook = "echo"\n'
        'trigger = "alert-created"\n[[automation.rule_sets]]\n'
        'rules = [{ property = "severity", operator = "equals", value = "High" }]\n'
    )
    assert main([*setup[0], "playbooks", "rules"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "hi\talert-created\techo\tenabled\t(severity equals 'High')"
    ]


def test_run_shows_the_payload_summary_and_runs_with_yes(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str]
) -> None:
    options, incident = setup
    assert main([*options, "playbooks", "run", "echo", "--incident", str(incident), "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"incident {incident}: bob; touch" in out
    assert "\r" not in out and "\\r\\nX-Injected" in out  # terminal-safe, nothing lost
    assert "run 1: success, exit 0" in out
    assert main([*options, "playbooks", "runs", "--incident", str(incident)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.split("\t")[2:5] == ["echo", f"incident {incident}", "manual"]


def test_run_without_a_terminal_or_yes_asks_and_does_nothing(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str], store: Store
) -> None:
    options, incident = setup
    assert main([*options, "playbooks", "run", "echo", "--incident", str(incident)]) == 1
    assert "pass --yes" in capsys.readouterr().err
    assert main([*options, "playbooks", "runs"]) == 0
    assert capsys.readouterr().out == ""


def test_readonly_refuses_run_and_retry(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str]
) -> None:
    options, incident = setup
    args = [*options, "--readonly", "playbooks", "run", "echo", "--incident", str(incident)]
    assert main([*args, "--yes"]) == 2
    assert main([*options, "--readonly", "playbooks", "retry", "1", "--yes"]) == 2
    assert capsys.readouterr().err.count("read-only mode") == 2


def test_failed_run_can_be_shown_and_retried(
    setup: tuple[list[str], int], capsys: pytest.CaptureFixture[str]
) -> None:
    options = setup[0]
    assert main([*options, "playbooks", "run", "echo", "--alert", "1", "--yes"]) == 1
    assert "exit 1" in capsys.readouterr().out  # the script wants an incident: KeyError
    assert main([*options, "playbooks", "show", "1"]) == 1
    assert "KeyError: 'incident'" in capsys.readouterr().out
    assert main([*options, "playbooks", "retry", "1", "--yes"]) == 1
    assert "run 2: failed" in capsys.readouterr().out
    assert main([*options, "playbooks", "run", "nope", "--alert", "1", "--yes"]) == 2
    assert "no playbook named 'nope'" in capsys.readouterr().err
