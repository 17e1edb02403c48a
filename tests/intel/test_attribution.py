"""Attribution: a crafted APT29 incident, generic noise, STIX indicator matches, name guards."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.factories import entity, make_alert
from tests.intel.conftest import file_incident
from tui.intel import attribute_alerts, attribute_incident
from tui.intel.names import NameMatcher, norm_name
from tui.intel.stix import import_bundle
from tui.store import Store, StoreError
from tui.store.alerts import upsert_alerts


def apt29_alerts() -> list:
    """Cloud-identity tradecraft and tooling that ATT&CK documents for APT29 (G0016)."""
    return [
        make_alert(
            title="New device registered to a privileged account",
            techniques=("T1098.005", "T1556.007"),
        ),
        make_alert(
            title="MFA push fatigue followed by sign-in from a cloud account",
            techniques=("T1621", "T1078.004"),
        ),
        make_alert(
            title="OAuth application access token stolen; cloud accounts enumerated",
            techniques=("T1528", "T1087.004"),
        ),
        make_alert(
            title="Suspicious process",
            techniques=("T1059.001",),
            entities=[entity("process", r"C:\ProgramData\AdFind.exe -f objectcategory=computer")],
        ),
        make_alert(
            title="Backdoored Orion DLL",
            description="SolarWinds.Orion.Core.BusinessLayer.dll shows SUNBURST behaviour and "
            "dropped a TEARDROP memory-only dropper",
            techniques=("T1195.002",),
        ),
    ]


def noise_alerts() -> list:
    """What every internet-facing estate sees daily: no group should be blamed for it."""
    return [
        make_alert(title="Failed SSH brute force attack", techniques=("T1110",)),
        make_alert(
            title="Suspicious PowerShell command line",
            techniques=("T1059.001", "T1105"),
            entities=[entity("process", "powershell.exe -enc SQBFAFgA; cmd.exe /c net user")],
        ),
        make_alert(title="Port scan detected from the internet", techniques=("T1046",)),
        make_alert(title="Exploit attempt on a web application", techniques=("T1190",)),
        make_alert(
            title="Sign-in with valid credentials from a new country", techniques=("T1078",)
        ),
        make_alert(
            title="Expand archive and ping sweep",
            description="The Empire of page play: silence, copper and snake in the logs",
        ),
    ]


def test_apt29_techniques_and_tools_rank_apt29_first(kb_store: Store) -> None:
    result = attribute_incident(kb_store, file_incident(kb_store, apt29_alerts()))
    assert result.attributed
    top = result.groups[0]
    assert (top.id, top.name) == ("G0016", "APT29")
    assert top.confidence == "high"
    assert all(top.score > other.score for other in result.groups[1:])
    explanation = top.explanation()
    assert "SUNBURST" in explanation and "AdFind" in explanation
    assert "T1621 Multi-Factor Authentication Request Generation" in explanation
    assert "most likely APT29" in result.summary()
    refs = {e.kind: set() for e in top.evidence}
    for e in top.evidence:
        refs[e.kind].add(e.ref)
    assert {"S0559", "S0560", "S0552"} <= refs["software"]  # SUNBURST, TEARDROP, AdFind
    assert "T1621" in refs["technique"]


def test_generic_noise_gets_no_attribution(kb_store: Store) -> None:
    result = attribute_incident(kb_store, file_incident(kb_store, noise_alerts()))
    assert not result.attributed
    assert result.groups == () and result.campaigns == ()
    assert "no attribution" in result.summary()
    # Everyday words that are also software names were not taken as evidence.
    guesses = result.best_rejected.explanation() if result.best_rejected else ""
    for word in ("Empire", "Page", "Expand", "Snake"):
        assert word not in guesses


def test_stix_indicator_match_attributes_to_its_group_and_campaign(
    kb_store: Store, tmp_path: Path
) -> None:
    def obj(kind: str, **fields: object) -> dict:
        now = "2024-01-01T00:00:00.000Z"
        base = {"type": kind, "spec_version": "2.1", "id": f"{kind}--{uuid.uuid4()}"}
        return base | {"created": now, "modified": now} | fields

    group = obj("intrusion-set", name="Quiet Heron")
    campaign = obj("campaign", name="Operation Grey Tide", first_seen="2024-01-01T00:00:00Z")
    c2 = obj(
        "indicator",
        name="Grey Tide C2",
        pattern="[ipv4-addr:value = '185.220.101.5'] OR [domain-name:value = 'upd.grey.example']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )
    rel = [
        obj(
            "relationship",
            relationship_type="indicates",
            source_ref=c2["id"],
            target_ref=campaign["id"],
        ),
        obj(
            "relationship",
            relationship_type="attributed-to",
            source_ref=campaign["id"],
            target_ref=group["id"],
        ),
    ]
    path = tmp_path / "b.json"
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}"}
    path.write_text(json.dumps(bundle | {"objects": [group, campaign, c2, *rel]}))
    assert import_bundle(kb_store, path).rejected == []

    beacon = make_alert(
        title="Outbound connection to a rare host",
        techniques=("T1071.001",),
        entities=[entity("url", "https://upd.grey.example/check?id=7"), entity("ip", "10.1.2.3")],
    )
    result = attribute_incident(kb_store, file_incident(kb_store, [beacon]))
    assert [c.name for c in result.groups][:1] == ["Quiet Heron"]
    assert [c.name for c in result.campaigns] == ["Operation Grey Tide"]
    assert "upd.grey.example (indicator Grey Tide C2)" in result.groups[0].explanation()


def test_attribute_single_alert_and_unknown_ids(kb_store: Store) -> None:
    alert = make_alert(title="Cozy Bear tooling: SUNBURST beacon", techniques=("T1195.002",))
    [alert_id] = upsert_alerts(kb_store.conn, [alert]).new_ids
    result = attribute_alerts(kb_store, [alert_id])
    assert result.subject == f"alert {alert_id}"
    assert result.groups[0].id == "G0016"
    assert any(e.kind == "name" and e.detail == "Cozy Bear" for e in result.groups[0].evidence)
    with pytest.raises(StoreError, match="alert 999999: no such alert"):
        attribute_alerts(kb_store, [999999])
    with pytest.raises(StoreError, match="incident 4242: no such incident"):
        attribute_incident(kb_store, 4242)


def test_hostile_alert_text_is_matched_in_visible_form(kb_store: Store) -> None:
    alert = make_alert(
        title="[@click=app.quit]x[/] \x1b]2;PWNED\x07 mimi\u200bkatz.exe and Mimikatz",
        description="C:\\[/]\x00evil",
    )
    result = attribute_alerts(kb_store, upsert_alerts(kb_store.conn, [alert]).new_ids)
    text = result.best_rejected.explanation() if result.best_rejected else ""
    assert "\x1b" not in text and "\u200b" not in text
    assert not result.attributed  # one common tool is no attribution


# --- the name matcher's guards ----------------------------------------------------------------

ALIASES = [
    ("software", "S0002", "Mimikatz", norm_name("Mimikatz")),
    ("software", "S0154", "Cobalt Strike", norm_name("Cobalt Strike")),
    ("software", "S0039", "Net", norm_name("Net")),
    ("software", "S0039", "net.exe", norm_name("net.exe")),
    ("software", "S0363", "Empire", norm_name("Empire")),
    ("software", "S0559", "SUNBURST", norm_name("SUNBURST")),
    ("software", "S0677", "AADInternals", norm_name("AADInternals")),
    ("group", "G0016", "Cozy Bear", norm_name("Cozy Bear")),
    ("group", "G1006", "ControlX", norm_name("ControlX")),
]


def hits(*texts: str) -> dict[str, tuple[str, bool, bool]]:
    found = NameMatcher(ALIASES).find(texts)
    return {h.alias: (h.found, h.exact, h.guarded) for h in found}


def test_exact_names_multiword_and_punctuation_variants() -> None:
    assert hits("ran mimikatz.exe then cobalt-strike beacon; COZY BEAR") == {
        "Mimikatz": ("mimikatz", True, False),
        "Cobalt Strike": ("cobalt-strike", True, False),
        "Cozy Bear": ("COZY BEAR", True, False),
    }


def test_short_and_everyday_names_count_only_as_executables() -> None:
    assert hits("the net result of the Empire strikes back") == {}
    assert hits(r"C:\Windows\System32\net.exe user /add") == {"Net": ("net.exe", True, True)}
    assert hits("empire.ps1 loaded") == {"Empire": ("empire.ps1", True, True)}


def test_fuzzy_only_for_long_names_and_never_between_known_names() -> None:
    assert hits("mimikats dumped lsass") == {"Mimikatz": ("mimikats", False, False)}
    assert hits("AADInternal module") == {"AADInternals": ("AADInternal", False, False)}
    assert hits("SUNBURN detected") == {}  # 7 letters from an 8-letter name: 2 edits, too far
    assert hits("Control panel applet") == {}  # group names are never fuzzy: not ControlX
    assert hits("controlx beacon") == {"ControlX": ("controlx", True, False)}


def test_huge_fields_are_scanned_only_near_the_start() -> None:
    filler = "A" * 1_000_000
    assert hits(f"mimikatz.exe {filler}") == {"Mimikatz": ("mimikatz", True, False)}
    assert hits(f"{filler} mimikatz.exe") == {}
