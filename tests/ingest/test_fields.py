"""Time, severity, technique and id normalization shared by the adapters."""

from __future__ import annotations

import pytest

from tui.ingest import fields as f
from tui.ingest.errors import RecordError
from tui.ingest.records import MAX_DEPTH, too_deep
from tui.model.clock import iso, parse_iso


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-22T00:00:00.0000000Z", "2020-02-22T00:00:00.000000Z"),  # 7 digits (.NET)
        ("2022-11-21T01:00:00Z", "2022-11-21T01:00:00.000000Z"),
        ("2024-06-20 08:51:02.123456+00:00", "2024-06-20T08:51:02.123456Z"),  # Log Analytics
        ("2024-06-20T01:30:00-05:30", "2024-06-20T07:00:00.000000Z"),
        ("2024-12-31T23:30:00+0200", "2024-12-31T21:30:00.000000Z"),
        (1718873462123, "2024-06-20T08:51:02.123000Z"),  # OCSF epoch milliseconds
        ("6/20/2024, 8:51:02.123 PM", "2024-06-20T20:51:02.123000Z"),  # portal CSV export
        ("12/1/2024, 12:05:00 AM", "2024-12-01T00:05:00.000000Z"),
    ],
)
def test_times_become_fixed_width_utc(value: object, expected: str) -> None:
    assert f.iso_time(value, "t") == expected
    assert iso(parse_iso(expected)) == expected  # the store's own format


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "not an ISO 8601 time"),
        ("2024-13-45T00:00:00Z", "not a valid date and time"),
        (True, "must be a time, got boolean"),
        (10**20, "out of range"),
        ("9999-12-31T23:59:59.9999999Z", "outside 1970-2099"),
        ("0001-01-01T00:00:00Z", "outside 1970-2099"),
        (-62_135_596_800_000, "outside 1970-2099"),  # year 1 in epoch milliseconds
    ],
)
def test_bad_times_are_refused(value: object, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        f.iso_time(value, "t")


def test_techniques_imply_their_parent() -> None:
    assert f.techniques(["T1059.001", "t1003", "bogus", "T1059"]) == (
        ("T1003", "T1059"),
        ("T1059.001",),
    )


@pytest.mark.parametrize("bad", ["a b", "x\x00y", "../x", "a/../b", "a\\..\\b", "x" * 513])
def test_identifiers_are_refused(bad: str) -> None:
    with pytest.raises(RecordError):
        f.identifier({"id": bad}, "id")


def test_too_deep_counts_containers() -> None:
    nested: list = []
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    assert not too_deep(nested)  # exactly MAX_DEPTH levels
    assert too_deep([nested])
    assert not too_deep({"a": "[" * 100, "b": {"c": []}})


def test_account_keys_and_placeholders() -> None:
    from tui.ingest.entities import account, host

    assert account(sid="S-1-5-21-1-2-3-500").key == "s-1-5-21-1-2-3-500"
    assert account(object_id="0b6f6d2a-1111-2222-3333-444455556666").key is not None
    assert account("bob", "CONTOSO", upn="Bob@Contoso.com").key == "bob@contoso.com"
    assert account("bob", "CONTOSO").key == "bob@contoso"
    assert account("SYSTEM", "NT AUTHORITY", sid="S-1-5-18").key is None
    assert account(sid="S-1-5-18").key is None
    assert account(object_id="00000000-0000-0000-0000-000000000000").key is None
    assert host("", "corp.contoso.com").key is None
    assert host("WEB01", "corp.contoso.com").key == "web01.corp.contoso.com"
