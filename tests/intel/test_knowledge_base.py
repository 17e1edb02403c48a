"""Loading the MISP galaxies: counts, the group join, versions, profiles and mitigations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.intel import (
    campaign_profile,
    ensure_loaded,
    group_profile,
    kb_version,
    mitigations_for,
    technique_names,
    update,
)
from tui.intel.galaxy import build
from tui.intel.profiles import find_groups
from tui.store import Store, StoreError
from tui.store.audit import history, verify_chain
from tui.store.intel import table_counts


def test_load_counts(kb_store: Store) -> None:
    counts = table_counts(kb_store.conn)
    assert counts["groups"] >= 800  # 183 ATT&CK intrusion sets + unmatched MISP threat actors
    assert counts["techniques"] >= 1000
    assert counts["mitigations"] >= 40
    assert counts["software"] >= 800
    assert counts["campaigns"] >= 100
    assert counts["sectors"] >= 100
    assert counts["relations"] >= 15000


def test_version_names_the_package_and_galaxies(kb_store: Store) -> None:
    version = kb_version(kb_store)
    assert version.package == "pymispgalaxies 1.1.1"
    assert version.galaxies["mitre-intrusion-set"] >= 1
    assert version.galaxies["threat-actor"] >= 1
    assert version.data_until >= "2020"
    assert "pymispgalaxies 1.1.1" in version.label


def test_threat_actor_and_intrusion_set_are_one_group(kb_store: Store) -> None:
    assert [g.id for g in find_groups(kb_store, "APT29")] == ["G0016"]
    assert [g.id for g in find_groups(kb_store, "cozy-bear")] == ["G0016"]
    # Microsoft's weather names, which Defender alerts use, join the same groups.
    assert [g.id for g in find_groups(kb_store, "Forest Blizzard")] == ["G0007"]
    profile = group_profile(kb_store, "G0016")
    # ATT&CK synonyms and MISP threat-actor synonyms are merged.
    assert {"NOBELIUM", "Cozy Bear", "The Dukes", "Midnight Blizzard"} <= set(profile.aliases)
    assert profile.sponsor == "Russian Federation"
    assert profile.country == "RU"
    assert "Espionage" in profile.motives
    assert "Government" in profile.target_sectors
    assert "Germany" in profile.victims
    # Tidal's observed 'US' joins MISP's 'United States' instead of listing it twice.
    assert "United States" in profile.victims
    assert "United States of America" not in profile.victims
    assert profile.references and all(r.startswith("http") for r in profile.references)
    assert "(Citation:" not in profile.description and "](" not in profile.description


def test_group_profile_techniques_software_campaigns(kb_store: Store) -> None:
    profile = group_profile(kb_store, "G0016")
    credential = {t.id for t in profile.techniques_by_tactic["credential-access"]}
    assert "T1110.003" in credential
    tactics = list(profile.techniques_by_tactic)
    assert tactics.index("initial-access") < tactics.index("command-and-control")
    assert {"SUNBURST", "Mimikatz"} <= {s.name for s in profile.software}
    solarwinds = [c for c in profile.campaigns if c.id == "C0024"]
    assert solarwinds and solarwinds[0].first_seen.startswith("2019")


def test_campaign_profile(kb_store: Store) -> None:
    profile = campaign_profile(kb_store, "C0024")
    assert profile.name == "SolarWinds Compromise"
    assert [g.id for g in profile.groups] == ["G0016"]
    assert profile.last_seen.startswith("2021")
    assert "<sup>" not in profile.description


def test_unknown_group_is_a_clear_error(kb_store: Store) -> None:
    with pytest.raises(StoreError, match="'G9999': not in the knowledge base"):
        group_profile(kb_store, "G9999")


def test_mitigations_for_techniques(kb_store: Store) -> None:
    found = {m.id: m for m in mitigations_for(kb_store, ["T1110.001"])}
    assert "M1032" in found  # Multi-factor Authentication
    assert found["M1032"].name.lower().startswith("multi-factor")
    assert "T1110.001" in found["M1032"].techniques
    assert all(m.id.startswith("M") for m in found.values())


def test_technique_names(kb_store: Store) -> None:
    names = technique_names(kb_store, ["T1110", "T1110.001", "T9999"])
    assert names == {"T1110": "Brute Force", "T1110.001": "Password Guessing"}


def test_ensure_loaded_loads_once_and_audits(tmp_path: Path) -> None:
    store = Store(tmp_path / "lazy.db")
    assert kb_version(store) is None
    ensure_loaded(store)
    first = kb_version(store).loaded_at
    ensure_loaded(store)
    assert kb_version(store).loaded_at == first
    assert [h["action"] for h in history(store.conn, "intel_source", "misp")] == ["intel.load"]
    assert verify_chain(store.conn) is None
    store.close()


def test_update_replaces_without_duplicates(kb_store: Store) -> None:
    before = table_counts(kb_store.conn)
    update(kb_store)
    assert table_counts(kb_store.conn) == before


def test_missing_galaxy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"threat-actor\.json: cannot load this MISP galaxy"):
        build(tmp_path)
