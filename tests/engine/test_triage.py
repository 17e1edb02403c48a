import pytest

from tests.factories import make_alert
from tui.engine import triage
from tui.model import Classification, Status
from tui.store import ConflictError, Store, StoreError, transaction
from tui.store.alerts import upsert_alerts
from tui.store.audit import history, verify_chain
from tui.store.triage import comments, get_triage


@pytest.fixture
def alert_ids(store: Store) -> list[int]:
    return upsert_alerts(store.conn, [make_alert(), make_alert(), make_alert()]).new_ids


def _incident(store: Store, alert_ids: list[int]) -> int:
    with transaction(store.conn) as conn:
        cur = conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, created_at, updated_at)"
            " VALUES ('i', 'High', 3, 'a', 'b', 'c', 'd')"
        )
        for aid in alert_ids:
            conn.execute(
                "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, 'x')",
                (aid, cur.lastrowid),
            )
    return int(cur.lastrowid)


def test_closing_needs_a_classification(store: Store, alert_ids: list[int]) -> None:
    with pytest.raises(StoreError, match="classification"):
        triage.set_status(store, ("alert", alert_ids[0]), Status.RESOLVED, expected_version=1)
    assert get_triage(store.conn, "alert", alert_ids[0])["status"] == "Active"


def test_status_change_is_versioned_and_audited(store: Store, alert_ids: list[int]) -> None:
    version = triage.set_status(
        store,
        ("alert", alert_ids[0]),
        Status.RESOLVED,
        expected_version=1,
        classification=Classification.FALSE_POSITIVE,
        comment="scanner",
        actor="alice",
    )
    state = get_triage(store.conn, "alert", alert_ids[0])
    assert (version, state["status"], state["classification"]) == (2, "Resolved", "FalsePositive")
    rows = history(store.conn, "alert", alert_ids[0])
    assert rows[-1]["actor"] == "alice"
    assert rows[-1]["before"]["status"] == "Active"
    assert rows[-1]["after"]["status"] == "Resolved"
    assert verify_chain(store.conn) is None


def test_stale_edit_is_refused_naming_who_changed_what(store: Store, alert_ids: list[int]) -> None:
    target = ("alert", alert_ids[0])
    triage.assign(store, target, "bob", expected_version=1, actor="bob")
    with pytest.raises(ConflictError, match=r"changed by bob .*owner  → bob"):
        triage.set_status(store, target, Status.IN_PROGRESS, expected_version=1, actor="alice")
    assert get_triage(store.conn, "alert", alert_ids[0])["status"] == "Active"


def test_reopening_clears_the_classification(store: Store, alert_ids: list[int]) -> None:
    target = ("alert", alert_ids[0])
    v = triage.set_status(
        store,
        target,
        Status.DISMISSED,
        expected_version=1,
        classification=Classification.BENIGN_POSITIVE,
    )
    triage.set_status(store, target, Status.ACTIVE, expected_version=v)
    assert get_triage(store.conn, "alert", alert_ids[0])["classification"] == ""


def test_bulk_reports_conflicts_and_changes_the_rest(store: Store, alert_ids: list[int]) -> None:
    triage.assign(store, ("alert", alert_ids[1]), "carol", expected_version=1)
    result = triage.bulk_set_status(
        store, [(("alert", a), 1) for a in alert_ids], Status.IN_PROGRESS
    )
    assert result.changed == [("alert", alert_ids[0]), ("alert", alert_ids[2])]
    assert [t for t, _ in result.conflicts] == [("alert", alert_ids[1])]
    assert get_triage(store.conn, "alert", alert_ids[1])["status"] == "Active"


def test_incident_status_cascades_only_when_asked(store: Store, alert_ids: list[int]) -> None:
    incident = _incident(store, alert_ids[:2])
    v = triage.set_status(store, ("incident", incident), Status.IN_PROGRESS, expected_version=1)
    assert get_triage(store.conn, "alert", alert_ids[0])["status"] == "Active"
    triage.set_status(
        store,
        ("incident", incident),
        Status.RESOLVED,
        expected_version=v,
        classification=Classification.TRUE_POSITIVE,
        cascade=True,
    )
    assert [get_triage(store.conn, "alert", a)["status"] for a in alert_ids] == [
        "Resolved",
        "Resolved",
        "Active",
    ]


def test_comments_are_kept_with_author(store: Store, alert_ids: list[int]) -> None:
    triage.add_comment(store, ("alert", alert_ids[0]), "first line\nsecond", actor="dave")
    assert comments(store.conn, "alert", alert_ids[0]) == [
        {
            "author": "dave",
            "at": comments(store.conn, "alert", alert_ids[0])[0]["at"],
            "body": "first line\nsecond",
        }
    ]
    with pytest.raises(StoreError, match="empty"):
        triage.add_comment(store, ("alert", alert_ids[0]), "   ")
    with pytest.raises(StoreError, match="does not exist"):
        triage.add_comment(store, ("alert", 999), "x")


def test_readonly_store_refuses_changes(tmp_path, alert_ids, store: Store) -> None:
    ro = Store(store.path, readonly=True)
    with pytest.raises(StoreError, match="read-only"):
        triage.assign(ro, ("alert", alert_ids[0]), "me", expected_version=1)
