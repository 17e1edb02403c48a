"""Suppression rule model: validation, conditions, Defender JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.engine.suppression_rule import (
    Condition,
    Op,
    Rule,
    RuleError,
    RuleState,
    dump_defender,
    load_defender,
    validate,
)
from tui.engine.suppression_similar import anchor, shape

EXAMPLE = "azure-rest-api-specs-security-alerts/GetAlertsSuppressionRules_example.json"


def test_defender_example_round_trips(real_dir: Path) -> None:
    text = (real_dir / EXAMPLE).read_text()
    rules = load_defender(text)
    assert [r.name for r in rules] == [
        "dismissIpAnomalyAlerts",
        "dismissDataExfiltrationAnomalyAlertsOnTestVMs",
    ]
    first = rules[0]
    assert first.conditions == (
        Condition("entities.ip.address", Op.IN, values=("104.215.95.187", "52.164.206.56")),
        Condition("entities.process.commandline", Op.CONTAINS, text="POWERSHELL.EXE"),
    )
    expected = json.loads(text)["responses"]["200"]["body"]
    assert json.loads(dump_defender(rules)) == expected


def test_expiry_makes_a_rule_expired() -> None:
    rule = Rule("r1", "T", expiration_date_utc="2020-01-01T00:00:00.000000Z")
    assert rule.effective_state("2019-12-31T00:00:00.000000Z") is RuleState.ENABLED
    assert rule.effective_state("2020-01-02T00:00:00.000000Z") is RuleState.EXPIRED
    assert not rule.is_active("2020-01-02T00:00:00.000000Z")


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (Rule("x", "T"), "name must be 2-50"),
        (Rule("-bad", "T"), "name must be 2-50"),
        (Rule("a" * 51, "T"), "name must be 2-50"),
        (Rule("has space", "T"), "name must be 2-50"),
        (Rule("all", "*"), "would suppress every alert"),
        (Rule("r1", "T", conditions=(Condition("entities.cpu.load", Op.IN, ("1",)),)), "unknown"),
        (Rule("r1", "T", conditions=(Condition("entities.ip.address", Op.IN, ()),)), "1 to"),
        (
            Rule("r1", "T", conditions=(Condition("entities.ip.address", Op.IN, ("10.0.0.999",)),)),
            "can never match",
        ),
        (
            Rule("r1", "T", conditions=(Condition("entities.file.name", Op.IN, ("a\x00b",)),)),
            "control or invisible",
        ),
        (
            Rule(
                "r1",
                "T",
                conditions=(Condition("entities.url.url", Op.SIMILAR, text="x", threshold=10),),
            ),
            "threshold",
        ),
    ],
)
def test_invalid_rules_are_refused_with_the_reason(rule: Rule, reason: str) -> None:
    with pytest.raises(RuleError, match=reason):
        validate(rule)


def test_valid_names_and_free_text_reason() -> None:
    assert validate(Rule("9_noise-rule", "T", reason="known scanner"))


def test_import_refuses_bad_documents() -> None:
    with pytest.raises(RuleError, match="not valid JSON"):
        load_defender("{")
    bad_state = {"name": "r1", "properties": {"alertType": "T", "reason": "Test", "state": "On"}}
    with pytest.raises(RuleError, match="'r1': state"):
        load_defender(json.dumps(bad_state))
    bad_cond = {
        "name": "r1",
        "properties": {
            "alertType": "T",
            "reason": "Test",
            "suppressionAlertsScope": {"allOf": [{"field": "entities.ip.address", "equals": "1"}]},
        },
    }
    with pytest.raises(RuleError, match="needs 'in'"):
        load_defender(json.dumps(bad_cond))


def _matches(
    cond: Condition, key: str, display: str | None = None, data: dict | None = None
) -> bool:
    return cond.matches(key, key if display is None else display, data)


def test_in_on_ip_uses_the_canonical_address() -> None:
    cond = Condition("entities.ip.address", Op.IN, values=("2001:DB8::0001",))
    assert _matches(cond, "2001:db8::1")
    assert not _matches(cond, "2001:db8::2")


def test_hostname_matches_name_and_fqdn_but_not_longer_names() -> None:
    cond = Condition("entities.host.hostname", Op.IN, values=("VM1",))
    assert _matches(cond, "vm1")
    assert _matches(cond, "vm1.contoso.com")
    assert not _matches(cond, "vm10")
    assert not _matches(cond, "vm10.contoso.com")


def test_account_name_ignores_domain_forms() -> None:
    cond = Condition("entities.account.name", Op.IN, values=("bob",))
    assert _matches(cond, "bob@contoso", "CONTOSO\\bob")
    assert _matches(cond, "bob@contoso.com", "bob@contoso.com")
    assert not _matches(cond, "bobby@contoso", "CONTOSO\\bobby")


def test_contains_is_case_insensitive() -> None:
    cond = Condition("entities.process.commandline", Op.CONTAINS, text="POWERSHELL.EXE")
    assert _matches(cond, "h|x", "c:\\windows\\powershell.exe -enc AAA")
    assert not _matches(cond, "h|x", "pwsh.exe -c 1")


def test_data_property_condition() -> None:
    cond = Condition("entities.file.directory", Op.CONTAINS, text="\\temp")
    assert cond.matches("k", "x.exe", {"Directory": "C:\\Temp\\a"})
    assert not cond.matches("k", "x.exe", {"Directory": "C:\\Windows"})
    assert not cond.matches("k", "x.exe", None)


def test_file_name_is_the_last_path_part() -> None:
    cond = Condition("entities.file.name", Op.IN, values=("evil.exe",))
    assert _matches(cond, "k", "C:\\Users\\bob\\Evil.exe")
    assert not _matches(cond, "k", "C:\\evil.exe\\other.dll")


GUID_A = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
GUID_B = "9a2504e0-4f89-11d3-9a0c-0305e82c3399"
BACKUP = f"C:\\Tools\\backup.exe /job 17 /out C:\\Temp\\tmp4F2A.tmp /id {GUID_A}"
SIMILAR = Condition("entities.process.commandline", Op.SIMILAR, text=BACKUP)


@pytest.mark.parametrize(
    "value",
    [
        f"C:\\Tools\\backup.exe /job 18 /out C:\\Temp\\tmpBEEF.tmp /id {GUID_B}",
        "c:\\tools\\BACKUP.EXE /job 2024 /out c:\\temp\\tmp1.tmp /id "
        "00000000-1111-2222-3333-444444444444",
    ],
)
def test_similar_ignores_random_parts(value: str) -> None:
    assert _matches(SIMILAR, "h|x", value)


@pytest.mark.parametrize(
    "value",
    [
        f"C:\\Tools\\restore.exe /job 18 /out C:\\Temp\\tmp1.tmp /id {GUID_B}",
        f"{BACKUP} & powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcA",
    ],
)
def test_similar_rejects_other_programs_and_appended_commands(value: str) -> None:
    assert not _matches(SIMILAR, "h|x", value)


def test_similar_url_with_random_token() -> None:
    cond = Condition(
        "entities.url.url",
        Op.SIMILAR,
        text="https://cdn.example.com/b?id=a8f5f167f44f4964e6c998dee827110c&t=1700000000",
    )
    assert _matches(
        cond, "u", "https://cdn.example.com/b?id=0cc175b9c0f1b6a831c399e269772661&t=1700000123"
    )
    assert not _matches(
        cond, "u", "https://evil.example.net/b?id=0cc175b9c0f1b6a831c399e269772661&t=1"
    )


def test_nul_never_matches_the_benign_value() -> None:
    """SECURITY 26: an embedded NUL must not let a second command ride on a benign rule."""
    hostile = "nightly.exe\x00 & mimikatz.exe"
    assert not _matches(
        Condition("entities.process.commandline", Op.IN, values=("nightly.exe",)), "h|x", hostile
    )
    assert not _matches(
        Condition("entities.process.commandline", Op.SIMILAR, text="nightly.exe"), "h|x", hostile
    )


def test_bidi_and_zero_width_are_distinct() -> None:
    """SECURITY 8: `invoice\\u202efdp.exe` is not `invoicefdp.exe`, nor `adm\\u200bin` `admin`."""
    name = Condition("entities.file.name", Op.IN, values=("invoicefdp.exe",))
    assert not _matches(name, "k", "C:\\invoice\u202efdp.exe")
    visible_form = Condition("entities.file.name", Op.IN, values=("invoice\\u202efdp.exe",))
    assert _matches(visible_form, "k", "C:\\invoice\u202efdp.exe")
    account = Condition("entities.account.name", Op.IN, values=("admin",))
    assert not _matches(account, "adm\u200bin", "adm\u200bin")


def test_shape_is_linear_on_hostile_input() -> None:
    """SECURITY 27: no user regex, and the masks stay fast on pathological text."""
    import time

    start = time.perf_counter()
    for text in ("a" * 200_000 + "!", "1" * 200_000, "a1" * 100_000, "~" * 200_000):
        shape(text)
    assert time.perf_counter() - start < 2.0


def test_anchor_is_a_literal_word() -> None:
    assert anchor(shape("C:\\Tools\\backup.exe /job 17")) == "backup.exe"
    assert anchor(shape("1234 5678")) == ""


def test_regex_conditions_are_refused() -> None:
    """SECURITY 27: no user regexes at all; an unknown operator is refused, not guessed."""
    rule = {
        "name": "evil-regex",
        "properties": {
            "alertType": "T",
            "reason": "Test",
            "suppressionAlertsScope": {
                "allOf": [{"field": "entities.process.commandline", "regex": "(a+)+$"}]
            },
        },
    }
    with pytest.raises(RuleError, match="'evil-regex': condition on entities"):
        load_defender(json.dumps(rule))
