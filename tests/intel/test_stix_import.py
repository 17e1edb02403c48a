"""STIX 2.1 import: patterns, validation with per-object reasons, merging onto known groups."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tui.intel import group_profile, update
from tui.intel.patterns import PatternError, parse_pattern
from tui.intel.profiles import find_groups
from tui.intel.stix import BundleError, import_bundle
from tui.store import Store
from tui.store.audit import history
from tui.store.intel import indicator_matches, table_counts

NOW = "2024-05-01T00:00:00.000Z"


def sid(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def sdo(kind: str, **fields: object) -> dict:
    base = {"type": kind, "spec_version": "2.1", "id": sid(kind), "created": NOW, "modified": NOW}
    return base | fields


def indicator(pattern: str, name: str = "C2 server") -> dict:
    return sdo("indicator", name=name, pattern=pattern, pattern_type="stix", valid_from=NOW)


def relationship(source: dict | str, rel: str, target: dict | str) -> dict:
    src = source if isinstance(source, str) else source["id"]
    dst = target if isinstance(target, str) else target["id"]
    return sdo("relationship", relationship_type=rel, source_ref=src, target_ref=dst)


def write_bundle(tmp_path: Path, objects: list[dict], name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "bundle", "id": sid("bundle"), "objects": objects}))
    return path


# --- patterns ------------------------------------------------------------------------------------


def test_pattern_or_within_and_between_observations() -> None:
    values = parse_pattern(
        "[ipv4-addr:value = '185.220.101.5' OR domain-name:value = 'Evil.Example.COM.']"
        " OR [url:value = 'http://evil.example.com/a?b=1']"
        " OR [file:hashes.'SHA-256' = '" + "AB" * 32 + "']"
    )
    assert values == [
        ("ip", "185.220.101.5"),
        ("domain", "evil.example.com"),
        ("url", "http://evil.example.com/a?b=1"),
        ("filehash", "ab" * 32),
    ]


def test_pattern_escapes_and_single_host_cidr() -> None:
    assert parse_pattern(r"[url:value = 'http://x.test/it\'s\\here']") == [
        ("url", "http://x.test/it's\\here")
    ]
    assert parse_pattern("[ipv6-addr:value = '2001:db8:0:0::1/128']") == [("ip", "2001:db8::1")]
    assert parse_pattern("[file:hashes.MD5 = '" + "0a" * 16 + "']") == [("filehash", "0a" * 16)]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.com']", "AND is not supported"),
        ("[ipv4-addr:value != '1.2.3.4']", "expected '='"),
        ("[ipv4-addr:value = '10.0.0.0/8']", "address ranges are not supported"),
        ("[ipv4-addr:value = 'not-an-ip']", "not a usable IP address"),
        ("[ipv4-addr:value = '1.2.3.4/99']", "not a usable IP address"),
        ("[file:hashes.'SHA-256' = 'abc']", "not 64 hex digits"),
        ("[process:name = 'evil.exe']", "unsupported comparison process:name"),
        ("[url:value = 'unterminated]", "unterminated string"),
        ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']", "FOLLOWEDBY"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS", "WITHIN is not supported"),
    ],
)
def test_unsupported_patterns_are_refused_with_a_reason(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        parse_pattern(pattern)


# --- bundles -------------------------------------------------------------------------------------


def test_import_merges_known_group_and_keeps_hostile_text_as_data(
    kb_store: Store, tmp_path: Path
) -> None:
    apt29 = sdo("intrusion-set", name="Cozy Bear", aliases=["APT29"])
    hostile = "[@click=app.quit]Grp\x1b]2;PWNED\x07[/]"
    newcomer = sdo("intrusion-set", name=hostile, description="<img src='/etc/passwd'>")
    c2 = indicator("[ipv4-addr:value = '185.220.101.5']")
    objects = [
        apt29,
        newcomer,
        c2,
        relationship(c2, "indicates", apt29),
        sdo("identity", name="ACME CERT", identity_class="organization"),
    ]
    result = import_bundle(kb_store, write_bundle(tmp_path, objects))

    assert result.rejected == []
    assert result.skipped == {"identity": 1}
    assert result.counts["intrusion sets (merged with known ones)"] == 1
    assert result.counts["indicators"] == 1
    matches = indicator_matches(kb_store.conn, [("ip", "185.220.101.5")])
    assert [m[2] for m in matches] == [c2["id"]]
    # The new group is stored verbatim, found by its name, and the known one kept its id.
    found = find_groups(kb_store, hostile)
    assert [g.id for g in found] == [newcomer["id"]]
    assert group_profile(kb_store, newcomer["id"]).name == hostile
    assert [g.id for g in find_groups(kb_store, "Cozy Bear")] == ["G0016"]
    assert history(kb_store.conn, "intel_source", f"stix:{result.bundle_id}")[0]["action"] == (
        "intel.import"
    )


def test_bad_objects_are_rejected_with_id_and_reason(kb_store: Store, tmp_path: Path) -> None:
    good = indicator("[domain-name:value = 'evil.example.com']")
    bad_pattern = indicator("[ipv4-addr:value = '10.0.0.0/8']")
    old_version = sdo("malware", name="Oldie", is_family=True) | {"spec_version": "2.0"}
    surrogate = sdo("campaign", name="bad \ud800 name")
    dangling = relationship(
        good, "indicates", "intrusion-set--00000000-0000-4000-8000-000000000000"
    )
    wrong_kind = relationship(good, "attributed-to", good)
    objects = [good, bad_pattern, old_version, surrogate, dangling, wrong_kind, good, "junk"]
    result = import_bundle(kb_store, write_bundle(tmp_path, objects))

    reasons = dict(result.rejected)
    assert "address ranges are not supported" in reasons[bad_pattern["id"]]
    assert reasons[old_version["id"]] == "'spec_version' must be '2.1'"
    assert reasons[surrogate["id"]] == "'name' contains a lone surrogate"
    assert "is not a valid object" in reasons[dangling["id"]]
    assert "cannot link a indicator to a indicator" in reasons[wrong_kind["id"]]
    assert "duplicate id" in reasons[good["id"]]
    assert reasons["(object without id)"] == "not a JSON object"
    assert result.counts == {"indicators": 1}
    assert table_counts(kb_store.conn)["indicators"] == 1


def test_relationship_to_an_earlier_bundle(kb_store: Store, tmp_path: Path) -> None:
    group = sdo("intrusion-set", name="Totally New Group 42")
    import_bundle(kb_store, write_bundle(tmp_path, [group], "first.json"))
    c2 = indicator("[url:value = 'https://cdn.evil.example/x.js']")
    second = [c2, relationship(c2, "indicates", group)]
    result = import_bundle(kb_store, write_bundle(tmp_path, second, "second.json"))
    assert result.rejected == []
    assert result.counts["relationships"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('"a string"', "not a STIX bundle"),
        ('{"type": "bundle", "id": "bundle--x", "objects": []}', "bundle--<uuid>"),
        ('{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()) + '"}', "no 'objects'"),
    ],
)
def test_not_a_bundle(kb_store: Store, tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(BundleError, match=reason):
        import_bundle(kb_store, path)


def test_reimport_replaces_the_bundle_and_update_keeps_it(kb_store: Store, tmp_path: Path) -> None:
    known = sdo("intrusion-set", name="Cozy Bear")
    new = sdo("intrusion-set", name="Brand New Heron")
    c2 = indicator("[domain-name:value = 'c2.example.org']")
    objects = [known, new, c2, relationship(c2, "indicates", known)]
    path = write_bundle(tmp_path, objects)
    import_bundle(kb_store, path)
    once = table_counts(kb_store.conn)
    again = import_bundle(kb_store, path)
    assert again.counts["intrusion sets"] == 1  # the new group is new again, not merged
    assert table_counts(kb_store.conn) == once
    assert group_profile(kb_store, new["id"]).name == "Brand New Heron"
    update(kb_store)  # reloading the galaxies keeps what organisations imported
    assert table_counts(kb_store.conn) == once
    [match] = indicator_matches(kb_store.conn, [("domain", "c2.example.org")])
    assert match[2] == c2["id"]
