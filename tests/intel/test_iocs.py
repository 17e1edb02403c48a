"""IOC export: which indicators, a STIX 2.1 bundle that validates, CSV without formula injection."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import stix2

from tests.factories import entity, make_alert
from tests.intel.conftest import file_incident
from tui.cli import main
from tui.intel import csv_text, incident_iocs, stix_bundle
from tui.store import Store
from tui.store.audit import history

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
TRICKY_URL = "http://evil.example.com/a'b\\c?q=1"
FORMULA_URL = '=HYPERLINK("http://evil.example.com","click")'


def incident(store: Store) -> int:
    alerts = [
        make_alert(
            minutes=0,
            entities=[
                entity("ip", "185.220.101.5"),
                entity("ip", "10.0.0.7"),
                entity("ip", "2001:4860:4860::8888"),
                entity("dns", "Evil.Example.COM"),
                entity("filehash", SHA256.upper()),
            ],
        ),
        make_alert(
            minutes=30,
            entities=[
                entity("ip", "185.220.101.5"),
                entity("url", TRICKY_URL),
                entity("url", FORMULA_URL),
                entity("filehash", MD5),
                entity("dns", "fileserver"),
                entity("ip", "0.0.0.0"),  # placeholder: never stored as an entity
                entity("host", "web-01"),  # not an indicator type
            ],
        ),
    ]
    return file_incident(store, alerts, title="Beaconing from web-01 [@click=app.quit]")


def test_incident_iocs_are_deduplicated_and_flagged(store: Store) -> None:
    iocs = {(i.type, i.value): i for i in incident_iocs(store, incident(store))}
    public_ip = iocs[("ipv4-addr", "185.220.101.5")]
    assert len(public_ip.alert_ids) == 2
    assert public_ip.first_seen < public_ip.last_seen
    assert public_ip.shareable
    assert iocs[("ipv4-addr", "10.0.0.7")].note == "private address"
    assert iocs[("domain-name", "fileserver")].note.startswith("single-label")
    assert iocs[("file", SHA256)].hash_algorithm == "SHA-256"
    assert iocs[("file", MD5)].hash_algorithm == "MD5"
    assert ("ipv6-addr", "2001:4860:4860::8888") in iocs
    assert ("domain-name", "evil.example.com") in iocs
    assert not any(value in ("0.0.0.0", "web-01") for _type, value in iocs)


def test_stix_bundle_validates_and_escapes_patterns(store: Store) -> None:
    incident_id = incident(store)
    iocs = incident_iocs(store, incident_id)
    bundle = stix_bundle(
        iocs, incident_id=incident_id, title="t", now="2024-06-01T13:00:00.000000Z", malicious=False
    )
    parsed = stix2.parse(json.dumps(bundle), allow_custom=False)  # validates every pattern
    indicators = [o for o in parsed.objects if o.type == "indicator"]
    patterns = {i.pattern for i in indicators}
    assert "[ipv4-addr:value = '185.220.101.5']" in patterns
    assert "[url:value = 'http://evil.example.com/a\\'b\\\\c?q=1']" in patterns
    assert f"[file:hashes.'SHA-256' = '{SHA256}']" in patterns
    assert not any("10.0.0.7" in p or "fileserver" in p for p in patterns)
    assert all(i.indicator_types == ["anomalous-activity"] for i in indicators)
    grouping = next(o for o in parsed.objects if o.type == "grouping")
    assert sorted(grouping.object_refs) == sorted(i.id for i in indicators)
    # Same incident, same indicator ids: consumers can de-duplicate re-exports.
    again = stix_bundle(iocs, incident_id=incident_id, title="t", malicious=True)
    assert {o["id"] for o in again["objects"]} == {o["id"] for o in bundle["objects"]}


def test_csv_guards_against_formula_injection(store: Store) -> None:
    text = csv_text(incident_iocs(store, incident(store)))
    rows = list(csv.DictReader(io.StringIO(text)))
    values = {r["value"] for r in rows}
    assert "'" + FORMULA_URL in values
    assert not any(v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())
    private = next(r for r in rows if r["value"] == "10.0.0.7")
    assert private["note"] == "private address"


def test_export_iocs_command_writes_file_and_audits(store: Store, tmp_path: Path) -> None:
    incident_id = incident(store)
    out = tmp_path / "iocs.json"
    args = ["--db", str(store.path), "export-iocs", "--incident", str(incident_id)]
    assert main([*args, "--format", "stix", "-o", str(out)]) == 0
    bundle = stix2.parse(out.read_text(encoding="utf-8"), allow_custom=False)
    assert "[@click=app.quit]" in next(o for o in bundle.objects if o.type == "grouping").name
    assert main([*args, "--format", "csv", "-o", str(tmp_path / "iocs.csv")]) == 0
    actions = history(store.conn, "incident", incident_id)
    assert [(a["action"], a["after"]["format"]) for a in actions] == [
        ("iocs.export", "stix"),
        ("iocs.export", "csv"),
    ]
    assert main(["--db", str(store.path), "export-iocs", "--incident", "999"]) == 2
