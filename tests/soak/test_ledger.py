"""The soak's checks catch what they are there to catch: a lost, an unaudited, a phantom edit."""

from __future__ import annotations

from tests.factories import make_alert
from tests.soak import ledger
from tui.engine.triage import assign
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts


def _accepted(actor: str, alert_id: int, version: int, owner: str) -> dict:
    return {
        "role": "triage",
        "actor": actor,
        "action": "assign",
        "target": ["alert", alert_id],
        "changes": {"owner": owner},
        "outcome": "accepted",
        "version": version,
    }


def _assigned(store: Store) -> tuple[int, list[dict]]:
    alert_id = upsert_alerts(store.conn, [make_alert()]).new_ids[0]
    version = assign(store, ("alert", alert_id), "alice", expected_version=1, actor="a1")
    return alert_id, [_accepted("a1", alert_id, version, "alice")]


def test_a_clean_history_passes(store: Store) -> None:
    _alert_id, entries = _assigned(store)
    conn = store.conn
    assert ledger.triage_audit_mismatch(conn, entries) == ({}, {})
    assert not ledger.duplicate_versions(entries)
    assert not ledger.version_gaps(conn)
    assert not ledger.final_state_mismatch(conn, entries)


def test_a_silent_overwrite_is_caught(store: Store) -> None:
    alert_id, entries = _assigned(store)
    with transaction(store.conn) as conn:  # last-write-wins, no version check, no audit
        conn.execute("UPDATE alerts SET owner = 'mallory' WHERE id = ?", (alert_id,))
    assert ledger.final_state_mismatch(store.conn, entries)
    # Two analysts both told their edit made version 2: one of them was lost.
    assert ledger.duplicate_versions([*entries, _accepted("a2", alert_id, 2, "bob")])


def test_an_unaudited_version_change_is_caught(store: Store) -> None:
    alert_id, _entries = _assigned(store)
    with transaction(store.conn) as conn:
        conn.execute("UPDATE alerts SET version = version + 1 WHERE id = ?", (alert_id,))
    assert ledger.version_gaps(store.conn) == [("alert", alert_id, 3, 0)]


def test_missing_and_phantom_audit_rows_are_caught(store: Store) -> None:
    alert_id, _logged = _assigned(store)
    # The log forgets the real edit and claims one that was never saved.
    never_saved = _accepted("a1", alert_id, 3, "carol")
    missing, phantom = ledger.triage_audit_mismatch(store.conn, [never_saved])
    assert sum(missing.values()) == 1 and sum(phantom.values()) == 1
