"""Report model pieces: TLP parsing, targets, and the only links a report may make."""

from __future__ import annotations

import pytest

from tui.report.attack import attack_cell, attack_url
from tui.report.model import Link, Target, Tlp
from tui.report.pdf import trusted_link


@pytest.mark.parametrize(
    ("text", "tlp"),
    [("amber", Tlp.AMBER), ("TLP:RED", Tlp.RED), (" green ", Tlp.GREEN), ("white", Tlp.CLEAR)],
)
def test_tlp_accepts_the_usual_spellings(text: str, tlp: Tlp) -> None:
    assert Tlp.parse(text) is tlp


def test_unknown_tlp_and_target_kind_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"unknown TLP 'amber\+strict'"):
        Tlp.parse("amber+strict")
    with pytest.raises(ValueError, match="not 'host'"):
        Target("host", 1)


def test_attack_links_are_composed_only_from_well_formed_ids() -> None:
    assert attack_url("T1059.001") == "https://attack.mitre.org/techniques/T1059/001/"
    assert attack_url("M1043") == "https://attack.mitre.org/mitigations/M1043/"
    assert attack_url("G0016") == "https://attack.mitre.org/groups/G0016/"
    assert attack_url("C3003") is None  # a Tidal campaign id, not ATT&CK
    for hostile in ("T1059/../../evil", "javascript:alert(1)", "T1059.001 ", "t1059", ""):
        assert attack_url(hostile) is None
        assert attack_cell(hostile) == hostile  # printed, never linked
    assert attack_cell("S0002") == Link("S0002", "https://attack.mitre.org/software/S0002/")


def test_renderer_trusts_only_attack_pages_over_https() -> None:
    assert trusted_link("https://attack.mitre.org/techniques/T1003/")
    for url in (
        "http://attack.mitre.org/techniques/T1003/",
        "https://attack.mitre.org.evil.example/",
        "https://attack.mitre.org/\x1b]8;;",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ):
        assert not trusted_link(url)
