"""The list's read queries: order, each filter, counts, incidents grouped, search candidates."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.factories import entity, make_alert
from tui.model import Severity, Status
from tui.store import Store, transaction
from tui.store.alert_list import (
    ListFilter,
    Sort,
    counts,
    fts_query,
    incident_key,
    incident_members,
    ordered_keys,
    rows,
)
from tui.store.alerts import upsert_alerts
from tui.ui.search import search


def _add_incident(store: Store, alert_ids: list[int], minutes_iso: str, sev: str = "High") -> int:
    # Correlation owns incidents; tests write the rows it would write.
    rank = Severity(sev).rank
    with transaction(store.conn) as conn:
        cur = conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, alert_count, created_at, updated_at)"
            " VALUES ('Multi-stage attack on web-01', ?, ?, ?, ?, ?, ?, ?)",
            (sev, rank, minutes_iso, minutes_iso, len(alert_ids), minutes_iso, minutes_iso),
        )
        for aid in alert_ids:
            conn.execute(
                "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, ?)",
                (aid, cur.lastrowid, minutes_iso),
            )
    return cur.lastrowid


@pytest.fixture
def seeded(store: Store) -> Store:
    upsert_alerts(
        store.conn,
        [
            make_alert(
                title="Credential dumping with mimikatz",
                severity="High",
                minutes=5,
                resource_id="/subs/1/vm/web-01",
                product_name="Defender for Servers",
                entities=[entity("host", "web-01")],
            ),
            make_alert(
                title="Suspicious PowerShell",
                severity="Low",
                minutes=4,
                alert_type="VM_PowerShell",
                entities=[entity("host", "web-01")],
            ),
            make_alert(title="Port scan", severity="Informational", minutes=3),
            make_alert(
                title="Ransomware encryption",
                severity="Medium",
                minutes=2,
                resource_id="/subs/1/vm/db-02",
            ),
        ],
    )
    return store


def test_newest_first_and_severity_sort(seeded: Store) -> None:
    assert list(ordered_keys(seeded.conn, ListFilter())) == [1, 2, 3, 4]
    by_sev = ordered_keys(seeded.conn, ListFilter(sort=Sort.SEVERITY))
    assert list(by_sev) == [1, 4, 2, 3]
    assert list(ordered_keys(seeded.conn, ListFilter(sort=Sort.SEVERITY), limit=2)) == [1, 4]


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ListFilter(severities=frozenset({Severity.HIGH, Severity.MEDIUM})), [1, 4]),
        (ListFilter(resource="web-01"), [1]),
        (ListFilter(alert_type="VM_PowerShell"), [2]),
        (ListFilter(product="Defender for Servers"), [1]),
        (ListFilter(since="2024-06-01T12:03:00.000000Z"), [1, 2, 3]),
        (ListFilter(until="2024-06-01T12:03:00.000000Z"), [4]),
    ],
)
def test_each_filter(seeded: Store, f: ListFilter, expected: list[int]) -> None:
    assert list(ordered_keys(seeded.conn, f)) == expected
    assert counts(seeded.conn, f).total == len(expected)


def test_status_filter_and_counts(seeded: Store) -> None:
    from tui.engine.triage import set_status

    set_status(seeded, ("alert", 3), Status.IN_PROGRESS, expected_version=1)
    f = ListFilter(statuses=frozenset({Status.IN_PROGRESS}))
    assert list(ordered_keys(seeded.conn, f)) == [3]
    c = counts(seeded.conn, ListFilter())
    assert c.status[Status.ACTIVE] == 3 and c.status[Status.IN_PROGRESS] == 1
    assert c.severity[Severity.HIGH] == 1 and c.total == 4


def test_incidents_replace_their_alerts_and_expand(seeded: Store) -> None:
    inc = _add_incident(seeded, [1, 2], "2024-06-01T12:03:30.000000Z")
    keys = list(ordered_keys(seeded.conn, ListFilter()))
    assert keys == [incident_key(inc), 3, 4]  # one row for the incident, placed by its time
    assert list(ordered_keys(seeded.conn, ListFilter(incidents_only=True))) == [-inc]
    assert incident_members(seeded.conn, inc) == [1, 2]
    # Filters on alert fields reach incidents through their members.
    assert list(ordered_keys(seeded.conn, ListFilter(alert_type="VM_PowerShell"))) == [-inc]
    row = rows(seeded.conn, [-inc])[-inc]
    assert row.is_incident and row.alert_count == 2 and row.target == ("incident", inc)
    assert counts(seeded.conn, ListFilter()).total == 3


def test_rows_by_key(seeded: Store) -> None:
    found = rows(seeded.conn, [4, 1, 999])
    assert set(found) == {1, 4}
    assert found[1].title == "Credential dumping with mimikatz"
    assert found[1].resource == "web-01" and found[1].severity is Severity.HIGH


def test_fts_query_is_prefixes_and_never_syntax() -> None:
    assert fts_query("mimkatz web") == '"mim"* AND "web"*'
    assert fts_query('") OR x NEAR(', "OR") == '"OR"* OR "x"* OR "NEA"*'
    assert fts_query("host vm-0042") == '"hos"* AND "vm 004"*'
    assert fts_query("[/]") == ""


def test_search_finds_through_typos(seeded: Store) -> None:
    titles = [r.title for r in rows(seeded.conn, range(1, 5)).values()]
    assert search(seeded.conn, "mimkatz", ListFilter(), titles)[0] == 1
    # A typo in the first letters: the title vocabulary still finds it.
    assert search(seeded.conn, "rnasomware encryption", ListFilter(), titles)[0] == 4
    # Entities are searched too, and the filter still applies.
    assert set(search(seeded.conn, "web-01", ListFilter(), titles)) >= {1, 2}
    low = replace(ListFilter(), severities=frozenset({Severity.LOW}))
    assert list(search(seeded.conn, "web-01", low, titles)) == [2]
