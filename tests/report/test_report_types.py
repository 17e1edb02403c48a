"""Each report type made from a demo-like APT29 incident, read back with pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.pdf_reading import read_pdf
from tests.report.scenario import C2_IP, FIXED_NOW, SHA256, Scenario
from tui.report import builder
from tui.report.model import ReportType, Target, Tlp
from tui.report.service import generate_report
from tui.store import Store
from tui.store.audit import history
from tui.store.reports import list_reports

COMMON_SECTIONS = (
    builder.EXECUTIVE_SUMMARY,
    builder.CAMPAIGNS,
    builder.TTPS,
    builder.TOOLS,
    builder.IOCS,
    builder.VICTIMOLOGY,
    builder.MITIGATION,
    builder.ATTRIBUTION,
)
GROUP_SECTIONS = (builder.IDENTITY, builder.OBJECTIVES)


def _make(store: Store, scenario: Scenario, kind: ReportType, tmp_path: Path) -> bytes:
    path = generate_report(
        store,
        Target("incident", scenario.incident_id),
        kind,
        Tlp.AMBER,
        "alice",
        tmp_path,
        now=FIXED_NOW,
    )
    return path.read_bytes()


@pytest.mark.parametrize("kind", list(ReportType))
def test_every_section_and_the_incident_evidence(
    report_store: Store, scenario: Scenario, kind: ReportType, tmp_path: Path
) -> None:
    pdf = read_pdf(_make(report_store, scenario, kind, tmp_path))
    wanted = COMMON_SECTIONS + (GROUP_SECTIONS if kind is not ReportType.CAMPAIGN else ())
    outline = pdf.outline()
    assert [s for s in wanted if s not in outline] == []
    assert outline[0] == "Cover"
    text = pdf.text
    assert kind.label.upper() in text
    assert "Multi-stage attack on vm-fin-01" in text
    assert "alice" in text and "2026-11-28 09:30 UTC" in text
    # TTP table by tactic with ATT&CK ids, linked to their ATT&CK pages
    assert "T1003.001" in text and "LSASS Memory" in text and "Credential Access" in text
    assert "https://attack.mitre.org/techniques/T1003/001/" in pdf.link_targets()
    # IOCs defanged, with where they were seen; never a link
    assert pdf.has("hxxps://cdn[.]update-orion[.]com/api/v2/check.php")
    assert pdf.has("185[.]220[.]101[.]47") and not pdf.has(C2_IP)
    assert pdf.has(SHA256)
    assert "10.0.4.17" in text  # an internal address: listed as such, not as an indicator
    assert pdf.has("this incident: #4 Secrets read from Key Vault")
    # victimology of our estate and mitigations
    assert "westeurope" in text and "environment=prod" in text and "vm-fin-01" in text
    assert "M1043" in text and "Credential Access Protection" in text
    assert pdf.has("Isolate vm-fin-01 from the network. (alert #1, #2)")
    assert pdf.has("Rotate every credential used on vm-fin-01. (alert #3)")  # placeholder filled
    # every page carries the TLP marking and its number
    for number, page in enumerate(pdf.pages, start=1):
        assert "TLP:AMBER" in page
        assert f"Page {number} of {len(pdf.pages)}" in page


@pytest.mark.parametrize("kind", [ReportType.ACTIVITY_GROUP, ReportType.SUMMARY])
def test_attacker_identity_objectives_and_victimology(
    report_store: Store, scenario: Scenario, kind: ReportType, tmp_path: Path
) -> None:
    pdf = read_pdf(_make(report_store, scenario, kind, tmp_path))
    text = pdf.text
    assert "APT29" in pdf.reader.metadata.title
    assert "Assessment APT29 (high confidence)" in pdf.pages[0]
    assert "Cozy Bear" in text and "NOBELIUM" in text and "The Dukes" in text
    assert "Russian Federation" in text  # suspected sponsor
    assert "Espionage" in text  # motive
    assert "United States" in text  # victim country
    assert "SolarWinds Compromise" in text and "historical" in text  # campaign timeline
    assert "SUNBURST" in text and "TEARDROP" in text  # tools named in the alerts
    assert "https://attack.mitre.org/groups/G0016/" in pdf.link_targets()


def test_campaign_report_names_the_campaign_and_why(
    report_store: Store, scenario: Scenario, tmp_path: Path
) -> None:
    pdf = read_pdf(_make(report_store, scenario, ReportType.CAMPAIGN, tmp_path))
    assert pdf.has("SolarWinds Compromise")
    assert pdf.has("Why this campaign") and pdf.has("campaign of APT29")
    assert builder.IDENTITY not in pdf.outline()


def test_report_is_logged_per_incident_with_an_audit_row(
    report_store: Store, scenario: Scenario, tmp_path: Path
) -> None:
    data = _make(report_store, scenario, ReportType.SUMMARY, tmp_path)
    made = list_reports(report_store.conn, incident_id=scenario.incident_id)
    assert [(r.type, r.tlp, r.analyst) for r in made] == [("summary", "AMBER", "alice")]
    assert Path(made[0].path).read_bytes() == data
    assert made[0].pages == len(read_pdf(data).pages)
    audit = history(report_store.conn, "incident", scenario.incident_id)
    assert audit[-1]["action"] == "report.generate"
    assert audit[-1]["after"]["sha256"] == made[0].sha256


def test_same_clock_same_bytes(report_store: Store, scenario: Scenario, tmp_path: Path) -> None:
    first = _make(report_store, scenario, ReportType.SUMMARY, tmp_path / "a")
    second = _make(report_store, scenario, ReportType.SUMMARY, tmp_path / "b")
    assert first == second


def test_noise_alert_gets_no_attribution_but_its_own_facts(
    report_store: Store, scenario: Scenario, tmp_path: Path
) -> None:
    path = generate_report(
        report_store,
        Target("alert", scenario.noise_alert_id),
        ReportType.SUMMARY,
        Tlp.GREEN,
        "bob",
        tmp_path,
        now=FIXED_NOW,
    )
    pdf = read_pdf(path.read_bytes())
    assert pdf.has("No attribution:")
    assert "Assessment No attribution" in pdf.pages[0]
    assert "Traffic from an unrecommended IP" in pdf.text
    assert "TLP:GREEN" in pdf.pages[-1]
    assert builder.MITIGATION in pdf.outline()
