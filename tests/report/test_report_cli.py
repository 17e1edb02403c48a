"""`threatdesk report` and `threatdesk reports` through the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.pdf_reading import read_pdf
from tests.report.scenario import Scenario
from tui.cli import main
from tui.store import Store


@pytest.fixture
def db(report_store: Store) -> Path:
    return report_store.path


def test_report_writes_the_pdf_and_prints_its_path(
    db: Path, scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.pdf"
    argv = ["--db", str(db), "report", "--incident", str(scenario.incident_id)]
    code = main([*argv, "--type", "summary", "--tlp", "red", "-o", str(out)])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "TLP:RED" in read_pdf(out.read_bytes()).pages[0]


def test_default_output_goes_to_the_reports_folder(
    db: Path, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr("tui.commands.report.reports_dir", lambda: tmp_path / "reports")
    argv = ["--db", str(db), "report", "--alert", str(scenario.alert_ids[0])]
    assert main([*argv, "--type", "activity-group"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == tmp_path / "reports"
    assert path.name.startswith(f"alert-{scenario.alert_ids[0]}-activity-group-")


def test_reports_lists_what_was_made_for_the_incident_and_its_alerts(
    db: Path, scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = [
        ["--incident", str(scenario.incident_id), "--type", "campaign", "--tlp", "green"],
        ["--alert", str(scenario.alert_ids[1]), "--type", "summary"],
    ]
    for index, target in enumerate(made):
        assert main(["--db", str(db), "report", *target, "-o", str(tmp_path / f"{index}.pdf")]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "reports", "--incident", str(scenario.incident_id)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # header + two reports, newest first
    assert "summary" in lines[1] and f"alert {scenario.alert_ids[1]}" in lines[1]
    assert "campaign" in lines[2] and "GREEN" in lines[2] and str(tmp_path / "0.pdf") in lines[2]


def test_unknown_incident_and_bad_tlp_are_clear_errors(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.pdf"
    assert main(["--db", str(db), "report", "--incident", "999", "--type", "summary"]) == 2
    assert "incident 999 does not exist" in capsys.readouterr().err
    argv = ["--db", str(db), "report", "--incident", "1", "--type", "summary", "-o", str(out)]
    assert main([*argv, "--tlp", "purple"]) == 2
    assert "unknown TLP 'purple'" in capsys.readouterr().err
    assert not out.exists()


def test_open_without_a_display_only_prints_the_path(
    db: Path, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("subprocess.Popen", _refuse)
    out = tmp_path / "x.pdf"
    argv = ["--db", str(db), "report", "--alert", str(scenario.noise_alert_id)]
    assert main([*argv, "--type", "summary", "-o", str(out), "--open"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert "no local display" in captured.err


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("xdg-open must not run without a display")
