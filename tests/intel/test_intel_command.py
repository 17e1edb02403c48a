"""`threatdesk intel …` end to end through the CLI entry point."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.factories import make_alert
from tests.intel.conftest import file_incident
from tui.cli import main
from tui.store import Store


def run(store: Store, *args: str) -> int:
    return main(["--db", str(store.path), "intel", *args])


def test_status_and_show(kb_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(kb_store, "status") == 0
    out = capsys.readouterr().out
    assert "knowledge base: pymispgalaxies 1.1.1" in out
    assert "groups" in out and "mitigations" in out

    assert run(kb_store, "show", "Midnight Blizzard") == 0
    out = capsys.readouterr().out
    assert out.startswith("APT29 [G0016]")
    assert "suspected sponsor: Russian Federation" in out
    assert "Credential Access: " in out and "T1110.003 Password Spraying" in out
    assert "SolarWinds Compromise [C0024] 2019-08-01" in out

    assert run(kb_store, "show", "no such group anywhere") == 1
    assert "no group or campaign by that name" in capsys.readouterr().err


def test_attribute_command(kb_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    alerts = [make_alert(title="SUNBURST and TEARDROP on Orion", techniques=("T1195.002",))]
    incident_id = file_incident(kb_store, alerts)
    assert run(kb_store, "attribute", "--incident", str(incident_id)) == 0
    out = capsys.readouterr().out
    assert f"incident {incident_id}: most likely APT29" in out
    assert "malware and tools: SUNBURST, TEARDROP" in out


def test_import_command_reports_rejections(
    kb_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_id = f"indicator--{uuid.uuid4()}"
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [{"type": "indicator", "id": bad_id, "spec_version": "2.1"}],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    assert run(kb_store, "import", str(path)) == 1
    captured = capsys.readouterr()
    assert "imported nothing; 1 rejected" in captured.out
    assert f"{bad_id}: only pattern_type 'stix' is supported" in captured.err
    path.write_text("[]")
    assert run(kb_store, "import", str(path)) == 2
    assert "not a STIX bundle" in capsys.readouterr().err
