"""`python -m bench --quick` runs every benchmark and writes a complete report.

It checks that each section is there with figures, not that targets are met (the CI machine
is not the benchmark machine).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = (
    "## Targets",
    "## Ingest (issue 2)",
    "## Correlation (issue 3)",
    "## Alerts screen (issue 4)",
    "## Suppression (issue 6)",
    "## Threat intelligence and reports (issue 8)",
)
STEPS = ("ingest", "correlation", "ui", "search_baseline", "reports", "suppression", "datatable")


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_quick_run_writes_every_section_with_figures(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    command = [sys.executable, "-m", "bench", "--quick", "--out", str(out)]
    command += ["--workdir", str(tmp_path / "data")]
    subprocess.run(command, cwd=ROOT, check=True, timeout=1150)

    text = out.read_text()
    for section in SECTIONS:
        assert section in text
    assert "not measured" not in text
    assert "Steps that failed" not in text
    assert "finished" in text and "SQLite 3." in text
    targets = [line for line in text.splitlines() if line.startswith("| #")]
    assert len(targets) >= 12
    for row in targets:  # every target has a figure (a slow-down may be below zero) and a verdict
        assert re.search(r"\| -?[\d,.]+[^|]* \| \*\*(MET|MISSED)\*\* \|$", row), row

    results = json.loads((tmp_path / "BENCHMARKS.json").read_text())
    size = results["sizes"]["20000"]
    assert set(STEPS) <= set(size)
    assert size["ingest"]["threatdesk"][0]["alerts"] == 20_000
    assert size["ingest"]["threatdesk+rules"][0]["dismissed"] > 0
    assert size["correlation"]["engine"]["incremental_equals_rebuild"] is True
    assert size["ui"]["app"][0]["search_hits"] > 0
    assert "peak_rss_mb" in size["datatable"]
