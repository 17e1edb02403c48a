"""An organisation's STIX intelligence in the report: a matching indicator attributes the
incident to a campaign, and the campaign's other indicators are listed for hunting."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.pdf_reading import read_pdf
from tests.report.scenario import C2_IP, FIXED_NOW, Scenario
from tui.intel.stix import import_bundle
from tui.report.model import ReportType, Target, Tlp
from tui.report.service import generate_report
from tui.store import Store

NOW = "2024-01-01T00:00:00.000Z"
GROUP = "intrusion-set--0b4a3c2e-1d5f-4e6a-8b7c-9d0e1f2a3b4c"
CAMPAIGN = "campaign--1c5b4d3f-2e6a-4f7b-9c8d-0e1f2a3b4c5d"


def _object(kind: str, uid: str, **fields: object) -> dict:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{uid}",
        "created": NOW,
        "modified": NOW,
        **fields,
    }


def _indicator(uid: str, pattern: str, name: str) -> dict:
    return _object(
        "indicator", uid, name=name, pattern=pattern, pattern_type="stix", valid_from=NOW
    )


def _relation(uid: str, source: str, kind: str, target: str) -> dict:
    return _object(
        "relationship", uid, relationship_type=kind, source_ref=source, target_ref=target
    )


def _bundle(path: Path) -> Path:
    seen = _indicator(
        "2d6c5e4a-3f7b-4a8c-8d9e-1f2a3b4c5d6e", f"[ipv4-addr:value = '{C2_IP}']", "Orion relay"
    )
    hunt = _indicator(
        "3e7d6f5b-4a8c-4b9d-9e0f-2a3b4c5d6e7f",
        "[domain-name:value = 'relay.fogharbor.example']",
        "Fog Harbor C2",
    )
    group = {**_object("intrusion-set", GROUP.split("--")[1]), "name": "Fog Harbor"}
    campaign = {
        **_object("campaign", CAMPAIGN.split("--")[1]),
        "name": "Operation Low Tide",
        "first_seen": "2024-05-01T00:00:00Z",
        "last_seen": "2024-06-30T00:00:00Z",
    }
    objects = [
        group,
        campaign,
        seen,
        hunt,
        _relation("4f8e7a6c-5b9d-4c0e-8f1a-3b4c5d6e7f80", seen["id"], "indicates", CAMPAIGN),
        _relation("5a9f8b7d-6c0e-4d1f-9a2b-4c5d6e7f8091", hunt["id"], "indicates", CAMPAIGN),
        _relation("6b0a9c8e-7d1f-4e2a-8b3c-5d6e7f8091a2", CAMPAIGN, "attributed-to", GROUP),
    ]
    path.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--7c1b0d9f-8e2a-4f3b-9c4d-6e7f8091a2b3",
                "objects": objects,
            }
        )
    )
    return path


def test_matching_indicator_attributes_the_campaign_and_lists_its_indicators(
    report_store: Store, scenario: Scenario, tmp_path: Path
) -> None:
    import_bundle(report_store, _bundle(tmp_path / "bundle.json"))
    path = generate_report(
        report_store,
        Target("incident", scenario.incident_id),
        ReportType.CAMPAIGN,
        Tlp.AMBER,
        "alice",
        tmp_path,
        now=FIXED_NOW,
    )
    pdf = read_pdf(path.read_bytes())
    assert "Operation Low Tide" in pdf.reader.metadata.title
    assert pdf.has("campaign Operation Low Tide") and "Operation Low Tide" in pdf.pages[0]
    assert pdf.has("Attributed to Fog Harbor")
    # the incident's own indicator, and the campaign's other one to hunt for, both defanged
    assert pdf.has("185[.]220[.]101[.]47")
    assert pdf.has("relay[.]fogharbor[.]example")
    assert pdf.has("intelligence: indicator Fog Harbor C2 for Operation Low Tide")
    assert pdf.has("matching indicators: 185.220.101.47 (indicator Orion relay)")
    assert not any("fogharbor" in t for t in pdf.link_targets())
